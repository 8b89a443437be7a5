"""The attention fusion: the exported self-attention pattern becomes one QAttention, and near misses stay as they are."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from pm_agent.embeddings.onnx.attention import fuse_attention
from pm_agent.embeddings.onnx.graph import (
    FLOAT,
    INT8,
    INT64,
    MICROSOFT,
    Graph,
    Node,
    Tensor,
    int_attribute,
    ints_attribute,
    node_int_attribute,
)

HIDDEN, HEAD_SIZE = 4, 2
HALF_SCALE = HEAD_SIZE**-0.25  # each side is scaled by its square root, as the exporter does


def tensor(data_type: int, values, dims: tuple[int, ...]) -> Tensor:
    array = np.asarray(values, dtype={FLOAT: np.float32, INT8: np.int8, INT64: np.int64}[data_type]).reshape(dims)
    scalar = float(array.reshape(-1)[0]) if data_type == FLOAT and array.size == 1 else None
    ints = tuple(int(v) for v in array.reshape(-1)) if data_type == INT64 else None
    return Tensor(data_type, dims, scalar, ints, array.tobytes())


def projection(name: str, source: str = "hidden") -> Node:
    return Node("DynamicQuantizeMatMul", MICROSOFT, [source, f"{name}_w", f"{name}_scale", "", f"{name}_bias"], [name])


def transpose(source: str, output: str, perm: tuple[int, ...]) -> Node:
    return Node("Transpose", "", [source], [output], rest=[ints_attribute("perm", perm)])


def exported_attention(
    scale: float = HALF_SCALE, mask_source: str = "attention_mask", key_source: str = "hidden"
) -> Graph:
    """The pattern as the exporter writes it, with a 4-wide hidden state and two heads of 2."""
    nodes = [
        Node("Cast", "", [mask_source], ["mask_f"], rest=[int_attribute("to", FLOAT)]),
        Node("Sub", "", ["one", "mask_f"], ["mask_off"]),
        Node("Mul", "", ["mask_off", "lowest"], ["mask_add"]),
        projection("q"),
        Node("Reshape", "", ["q", "heads"], ["q_r"]),
        transpose("q_r", "q_t", (0, 2, 1, 3)),
        projection("k", key_source),
        Node("Reshape", "", ["k", "heads"], ["k_r"]),
        transpose("k_r", "k_t", (0, 2, 1, 3)),
        Node("Reshape", "", ["k_t", "flat"], ["k_3"]),
        transpose("k_3", "k_3t", (0, 2, 1)),
        Node("Reshape", "", ["k_3t", "unflat"], ["k_T"]),
        projection("v"),
        Node("Reshape", "", ["v", "heads"], ["v_r"]),
        transpose("v_r", "v_t", (0, 2, 1, 3)),
        Node("Mul", "", ["q_t", "scale"], ["q_s"]),
        Node("Mul", "", ["k_T", "scale"], ["k_s"]),
        Node("MatMul", "", ["q_s", "k_s"], ["scores"]),
        Node("Add", "", ["scores", "mask_add"], ["masked"]),
        Node("Softmax", "", ["masked"], ["p"], rest=[int_attribute("axis", -1)]),
        Node("IsNaN", "", ["p"], ["p_nan"]),
        Node("Where", "", ["p_nan", "zero", "p"], ["p_safe"]),
        Node("MatMul", "", ["p_safe", "v_t"], ["weighted"]),
        transpose("weighted", "weighted_t", (0, 2, 1, 3)),
        Node("Reshape", "", ["weighted_t", "merged"], ["context"]),
        projection("out", "context"),
    ]
    tensors = {
        "one": tensor(FLOAT, [1.0], ()),
        "lowest": tensor(FLOAT, [-3.4e38], ()),
        "zero": tensor(FLOAT, [0.0], ()),
        "scale": tensor(FLOAT, [scale], ()),
        "heads": tensor(INT64, [0, 0, -1, HEAD_SIZE], (4,)),
        "flat": tensor(INT64, [-1, 3, HEAD_SIZE], (3,)),
        "unflat": tensor(INT64, [1, -1, HEAD_SIZE, 3], (4,)),
        "merged": tensor(INT64, [0, 0, HIDDEN], (3,)),
    }
    for index, name in enumerate(("q", "k", "v", "out")):
        tensors[f"{name}_w"] = tensor(INT8, np.arange(16) + 16 * index, (HIDDEN, HIDDEN))
        tensors[f"{name}_scale"] = tensor(FLOAT, [0.1 * (index + 1)] * HIDDEN, (1, HIDDEN))
        tensors[f"{name}_bias"] = tensor(FLOAT, [index] * HIDDEN, (HIDDEN,))
    return Graph(nodes, tensors, inputs=["hidden", "attention_mask"], outputs={"out"})


def summary(graph: Graph) -> list[tuple[str, list[str], list[str]]]:
    return [(node.op_type, node.inputs, node.outputs) for node in graph.nodes]


def test_the_exported_self_attention_becomes_one_quantized_attention_over_the_three_projections():
    graph = exported_attention()

    assert fuse_attention(graph) == 1

    assert summary(graph) == [
        ("Cast", ["attention_mask"], ["attention_mask/int32"]),
        ("DynamicQuantizeLinear", ["hidden"], ["context/input_q", "context/input_scale", "context/input_zero_point"]),
        (
            "QAttention",
            [
                "context/input_q",
                "context/qkv_weight",
                "context/qkv_bias",
                "context/input_scale",
                "context/qkv_scale",
                "attention_mask/int32",
                "context/input_zero_point",
            ],
            ["context"],
        ),
        ("DynamicQuantizeMatMul", ["context", "out_w", "out_scale", "", "out_bias"], ["out"]),
    ]
    assert node_int_attribute(graph.nodes[2], "num_heads") == HIDDEN // HEAD_SIZE


def test_the_fused_weights_are_the_three_projections_side_by_side_with_their_scales_and_biases():
    graph = exported_attention()
    fuse_attention(graph)

    def array(name, dtype):
        return np.frombuffer(bytes(graph.tensors[name].raw), dtype=dtype)

    weights = array("context/qkv_weight", np.int8).reshape(HIDDEN, 3 * HIDDEN)
    assert graph.tensors["context/qkv_weight"].dims == (HIDDEN, 3 * HIDDEN)
    for index, name in enumerate("qkv"):
        expected = array(f"{name}_w", np.int8).reshape(HIDDEN, HIDDEN)
        assert (weights[:, index * HIDDEN : (index + 1) * HIDDEN] == expected).all()
    assert array("context/qkv_scale", np.float32).tolist() == pytest.approx([0.1] * 4 + [0.2] * 4 + [0.3] * 4)
    assert array("context/qkv_bias", np.float32).tolist() == [0.0] * 4 + [1.0] * 4 + [2.0] * 4


@pytest.mark.parametrize(
    "graph",
    [
        pytest.param(exported_attention(scale=0.5), id="a scale other than one over the root of the head size"),
        pytest.param(exported_attention(mask_source="hidden"), id="a mask computed from the hidden state"),
        pytest.param(exported_attention(key_source="other_hidden"), id="keys projected from another input"),
    ],
)
def test_a_near_miss_is_left_exactly_as_it_was(graph):
    before = summary(graph)

    assert fuse_attention(graph) == 0
    assert summary(graph) == before


def test_a_projection_read_elsewhere_too_keeps_the_pattern_unfused():
    graph = exported_attention()
    graph.nodes.append(Node("Identity", "", ["k"], ["k_copy"]))
    graph.outputs.add("k_copy")
    before = summary(graph)

    assert fuse_attention(graph) == 0
    assert summary(graph) == before


def test_an_int64_initializer_is_read_back_as_its_values():
    from pm_agent.embeddings.onnx.graph import encode_tensor, parse_tensor_header

    encoded = encode_tensor("heads", INT64, (4,), struct.pack("<4q", 0, 0, -1, 32))

    name, header = parse_tensor_header(encoded)
    assert (name, header.data_type, header.dims, header.ints) == ("heads", INT64, (4,), (0, 0, -1, 32))
