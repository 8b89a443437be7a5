"""The int8 rewrite of the MiniLM graph: which products it rewrites, and that it leaves everything else alone."""

from __future__ import annotations

import pytest

from pm_agent.embeddings.model_files import find_model_files
from pm_agent.embeddings.onnx.graph import (
    FLOAT,
    INT8,
    LENGTH,
    VARINT,
    Node,
    Tensor,
    encode_fields,
    parse_fields,
    parse_tensor_header,
)
from pm_agent.embeddings.onnx.int8 import fuse_erf_gelus, fuse_int8_matmuls, int8_matmul_model

TENSORS = {
    "w_q": Tensor(INT8, (384, 1536)),
    "w_scale": Tensor(FLOAT, (1, 1536)),
    "bias": Tensor(FLOAT, (1536,)),
    "other_bias": Tensor(FLOAT, (384,)),
}


def dequantised_product(bias: str | None = "bias") -> list[Node]:
    nodes = [
        Node("Cast", "", ["w_q"], ["w_f"]),
        Node("Mul", "", ["w_f", "w_scale"], ["w"]),
        Node("MatMul", "", ["x", "w"], ["xw"]),
    ]
    if bias:
        nodes.append(Node("Add", "", ["xw", bias], ["y"]))
    return nodes + [Node("Gelu", "", ["y" if bias else "xw"], ["out"])]


def summary(nodes: list[Node]) -> list[tuple[str, str, list[str], list[str]]]:
    return [(n.op_type, n.domain, n.inputs, n.outputs) for n in nodes]


def test_a_product_with_int8_weights_and_its_bias_become_one_int8_product():
    assert summary(fuse_int8_matmuls(dequantised_product(), TENSORS, {"out"})) == [
        ("DynamicQuantizeMatMul", "com.microsoft", ["x", "w_q", "w_scale", "", "bias"], ["y"]),
        ("Gelu", "", ["y"], ["out"]),
    ]


def test_an_add_of_something_else_than_a_column_bias_is_kept():
    nodes = fuse_int8_matmuls(dequantised_product(bias="other_bias"), TENSORS, {"out"})

    assert summary(nodes) == [
        ("DynamicQuantizeMatMul", "com.microsoft", ["x", "w_q", "w_scale"], ["xw"]),
        ("Add", "", ["xw", "other_bias"], ["y"]),
        ("Gelu", "", ["y"], ["out"]),
    ]


def test_dequantised_weights_read_elsewhere_too_stay_in_the_graph():
    nodes = dequantised_product(bias=None) + [Node("Transpose", "", ["w"], ["w_t"])]

    assert summary(fuse_int8_matmuls(nodes, TENSORS, {"out", "w_t"}))[:3] == [
        ("Mul", "", ["w_f", "w_scale"], ["w"]),
        ("DynamicQuantizeMatMul", "com.microsoft", ["x", "w_q", "w_scale"], ["xw"]),
        ("Gelu", "", ["xw"], ["out"]),
    ]


def test_products_of_two_activations_or_of_float_weights_are_not_touched():
    nodes = [Node("MatMul", "", ["q", "k"], ["scores"]), Node("MatMul", "", ["x", "w_float"], ["y"])]

    assert fuse_int8_matmuls(nodes, {"w_float": Tensor(FLOAT, (384, 384))}, {"y"}) is nodes


def test_a_model_without_int8_weights_comes_back_byte_for_byte():
    node = encode_fields([(1, LENGTH, b"q"), (1, LENGTH, b"k"), (2, LENGTH, b"scores"), (4, LENGTH, b"MatMul")])
    graph = encode_fields([(1, LENGTH, node), (2, LENGTH, b"g")])
    opset = encode_fields([(1, LENGTH, b""), (2, VARINT, 17)])
    model = encode_fields([(1, VARINT, 8), (7, LENGTH, graph), (8, LENGTH, opset)])

    assert int8_matmul_model(model) == (model, 0)


def graph_ops(model: bytes) -> list[str]:
    graph = next(value for number, _, value in parse_fields(model) if number == 7)
    return [Node.parse(value).op_type for number, _, value in parse_fields(graph) if number == 1]


@pytest.fixture(scope="module")
def packaged_model() -> bytes:
    files = find_model_files()
    if files is None:
        pytest.skip("all-MiniLM-L6-v2 files not found")
    return files.onnx.read_bytes()


def test_the_packaged_model_is_read_and_written_back_unchanged_and_its_36_products_are_rewritten(packaged_model):
    rewritten, fused = int8_matmul_model(packaged_model, attention=False)

    assert encode_fields(parse_fields(packaged_model)) == packaged_model
    assert fused == 36
    ops = graph_ops(rewritten)
    assert (ops.count("DynamicQuantizeMatMul"), ops.count("MatMul"), ops.count("Cast")) == (36, 12, 3)
    assert (ops.count("Gelu"), ops.count("Erf")) == (6, 0)


def test_each_of_the_six_attentions_becomes_one_quantized_attention_and_the_glue_around_it_goes(packaged_model):
    rewritten, fused = int8_matmul_model(packaged_model)

    ops = graph_ops(rewritten)
    assert fused == 36  # 18 products alone, 18 inside the attentions
    assert (ops.count("QAttention"), ops.count("DynamicQuantizeLinear"), ops.count("DynamicQuantizeMatMul")) == (
        6,
        6,
        18,
    )
    assert [op for op in ("Softmax", "IsNaN", "Where", "Transpose", "Reshape", "MatMul") if op in ops] == []
    assert len(ops) == 73  # from 253: what is left is embeddings, layer norms, residual adds and GELUs


GELU_CONSTANTS = {
    "sqrt2": Tensor(FLOAT, (), 2**0.5),
    "one": Tensor(FLOAT, (), 1.0),
    "half": Tensor(FLOAT, (), 0.5),
    "quarter": Tensor(FLOAT, (), 0.25),
}


def erf_gelu(half: str = "half") -> list[Node]:
    return [
        Node("Div", "", ["h", "sqrt2"], ["d"]),
        Node("Erf", "", ["d"], ["e"]),
        Node("Add", "", ["e", "one"], ["a"]),
        Node("Mul", "", [half, "a"], ["m"]),
        Node("Mul", "", ["h", "m"], ["g"]),
        Node("DynamicQuantizeMatMul", "com.microsoft", ["g", "w2_q", "w2_scale"], ["out"]),
    ]


def test_an_erf_gelu_spelt_in_five_nodes_becomes_one_gelu():
    assert summary(fuse_erf_gelus(erf_gelu(), GELU_CONSTANTS, {"out"})) == [
        ("Gelu", "com.microsoft", ["h"], ["g"]),
        ("DynamicQuantizeMatMul", "com.microsoft", ["g", "w2_q", "w2_scale"], ["out"]),
    ]


def test_the_same_shape_with_another_constant_is_not_a_gelu():
    nodes = erf_gelu(half="quarter")

    assert fuse_erf_gelus(nodes, GELU_CONSTANTS, {"out"}) is nodes


def test_a_one_float_initializer_is_read_whether_raw_or_as_float_data():
    raw = encode_fields([(2, VARINT, FLOAT), (8, LENGTH, b"c"), (9, LENGTH, b"\x00\x00\x00?")])
    listed = encode_fields([(1, VARINT, 1), (2, VARINT, FLOAT), (4, LENGTH, b"\xf3\x04\xb5?"), (8, LENGTH, b"d")])

    assert parse_tensor_header(raw) == ("c", Tensor(FLOAT, (), 0.5))
    assert parse_tensor_header(listed) == ("d", Tensor(FLOAT, (1,), 1.4142135381698608))
