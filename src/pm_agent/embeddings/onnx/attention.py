"""Fuse each self-attention of the int8 MiniLM graph into one ``com.microsoft.QAttention``.

After :func:`pm_agent.embeddings.onnx.int8.fuse_int8_matmuls`, an attention block of the
exported graph is still some twenty-five nodes: three int8 projections of the same input
(query, key, value), each reshaped into heads and transposed, the key transposed again
through a dance of ``Shape``/``Slice``/``Concat``/``Reshape``, both sides scaled, their
product masked with an additive mask built from ``attention_mask``, a softmax guarded
against NaN, the product with the values, and the heads merged back. onnxruntime fuses
none of it (its attention fusion does not know this exporter's pattern), and on a 60-token
incident text the glue costs a quarter of the run: one small kernel after another.

``QAttention`` does the same in one kernel: it quantizes the input once, multiplies it by
the three projections' int8 weights side by side (per-column scales kept), and runs the
masked scaled softmax attention over the heads. Measured on the project's 2-core AVX2
machine, with the real incident texts: 19.4 -> 16.3 ms of CPU per text, vectors at cosine
>= 0.995 to the unfused int8 graph.

The match is strict: every node of the pattern must be there, read only by the next one,
the scale must be 1/sqrt(head size) and the mask must come from the ``attention_mask``
input alone (no hidden state). The mask is taken to be a padding mask, as in any
bidirectional encoder (an embedding model is one); a graph that does not match is left as
it is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pm_agent.embeddings.onnx.graph import (
    FLOAT,
    INT8,
    INT32,
    MICROSOFT,
    Graph,
    Node,
    int_attribute,
    node_int_attribute,
    node_ints_attribute,
)

MASK_INPUT = "attention_mask"
HEADS_SPLIT = (0, 2, 1, 3)  # [batch, sequence, heads, head size] <-> [batch, heads, sequence, head size]
LAST_TWO_SWAPPED = ((0, 2, 1), (0, 1, 3, 2))
# What may build the additive mask from attention_mask and the inputs' shapes; nothing that reads hidden states.
MASK_BUILDING = {
    "Cast",
    "Shape",
    "Squeeze",
    "Unsqueeze",
    "Range",
    "GreaterOrEqual",
    "Greater",
    "Less",
    "LessOrEqual",
    "Equal",
    "And",
    "Or",
    "Not",
    "Max",
    "Min",
    "Expand",
    "Concat",
    "GatherND",
    "Gather",
    "Where",
    "Slice",
    "Reshape",
    "Sub",
    "Mul",
    "ConstantOfShape",
    "Constant",
}


@dataclass(frozen=True)
class AttentionBlock:
    """One matched self-attention: its input, its three int8 projections, heads and the output it writes."""

    input: str
    query: Node
    key: Node
    value: Node
    head_size: int
    context: str


def fuse_attention(graph: Graph) -> int:
    """Replace each matched self-attention by ``DynamicQuantizeLinear`` + ``QAttention``; how many were replaced.

    Nodes that only served a replaced block are dropped, and so are the initializers only they read.
    """
    if MASK_INPUT not in graph.inputs:
        return 0
    producers, consumers = graph.producers(), graph.consumers()
    blocks = [
        block
        for node in graph.nodes
        if node.op_type == "Softmax" and not node.domain
        for block in [match_attention(node, graph, producers, consumers)]
        if block is not None
    ]
    if not blocks:
        return 0
    mask = f"{MASK_INPUT}/int32"
    replacements = {id(producers[block.context]): quantized_attention(graph, block, mask) for block in blocks}
    cast = Node("Cast", "", [MASK_INPUT], [mask], rest=[int_attribute("to", INT32)])
    graph.nodes = [cast] + [new for node in graph.nodes for new in replacements.get(id(node), [node])]
    graph.without_dead_nodes()
    return len(blocks)


def quantized_attention(graph: Graph, block: AttentionBlock, mask: str) -> list[Node]:
    """The two nodes that compute ``block``: the input quantized once, then the fused attention."""
    import numpy as np

    projections = (block.query, block.key, block.value)
    hidden = graph.tensors[block.query.inputs[1]].dims[1]
    weights = np.concatenate([_array(graph, p.inputs[1], np.int8).reshape(-1, hidden) for p in projections], axis=1)
    scales = np.concatenate([_array(graph, p.inputs[2], np.float32).reshape(-1) for p in projections])
    biases = np.concatenate([_array(graph, p.inputs[4], np.float32).reshape(-1) for p in projections])
    prefix = block.context
    weight = graph.add_initializer(f"{prefix}/qkv_weight", INT8, weights.shape, weights.tobytes())
    scale = graph.add_initializer(f"{prefix}/qkv_scale", FLOAT, scales.shape, scales.tobytes())
    bias = graph.add_initializer(f"{prefix}/qkv_bias", FLOAT, biases.shape, biases.tobytes())
    quantized = [f"{prefix}/input_q", f"{prefix}/input_scale", f"{prefix}/input_zero_point"]
    return [
        Node("DynamicQuantizeLinear", "", [block.input], quantized),
        Node(
            "QAttention",
            MICROSOFT,
            [quantized[0], weight, bias, quantized[1], scale, mask, quantized[2]],
            [block.context],
            rest=[int_attribute("num_heads", hidden // block.head_size)],
        ),
    ]


def _array(graph: Graph, name: str, dtype):
    import numpy as np

    return np.frombuffer(bytes(graph.tensors[name].raw), dtype=dtype)  # type: ignore[arg-type]


def match_attention(
    softmax: Node, graph: Graph, producers: dict[str, Node], consumers: dict[str, list[Node]]
) -> AttentionBlock | None:
    """The self-attention around ``softmax``, if every part of the pattern is there; else None."""
    scores = producers.get(softmax.inputs[0])
    if node_int_attribute(softmax, "axis") not in (None, -1, 3) or not _is(scores, "Add", 2):
        return None
    product, additive_mask = _split_scores(scores, producers)  # type: ignore[arg-type]
    if product is None or not _mask_only(additive_mask, graph, producers):
        return None
    query_side, query_scale = _scaled(product.inputs[0], graph, producers)
    key_side, key_scale = _scaled(product.inputs[1], graph, producers)
    query_heads = _heads(query_side, producers)
    probabilities = _guarded_softmax_output(softmax, graph, consumers)
    if query_heads is None or probabilities is None:
        return None
    query, shape = query_heads
    key = _transposed_key(key_side, shape, producers)
    weighted = _only_reader(probabilities, consumers, "MatMul")
    if key is None or weighted is None or weighted.inputs[0] != probabilities:
        return None
    value_heads = _heads(weighted.inputs[1], producers)
    context = _merged_heads(weighted.outputs[0], consumers)
    if value_heads is None or value_heads[1] != shape or context is None:
        return None
    head_size = _head_size(shape, graph, producers)
    value = value_heads[0]
    projections = (query, key, value)
    if head_size is None or not _int8_projections(projections, graph, consumers):
        return None
    if not math.isclose(query_scale * key_scale, 1 / math.sqrt(head_size), rel_tol=1e-4):
        return None
    hidden = graph.tensors[query.inputs[1]].dims[1]
    if hidden % head_size:
        return None
    return AttentionBlock(query.inputs[0], query, key, value, head_size, context)


def _is(node: Node | None, op_type: str, inputs: int | None = None) -> bool:
    return (
        node is not None
        and node.op_type == op_type
        and not node.domain
        and (inputs is None or len(node.inputs) == inputs)
    )


def _only_reader(name: str, consumers: dict[str, list[Node]], op_type: str) -> Node | None:
    readers = consumers.get(name, [])
    return readers[0] if len(readers) == 1 and _is(readers[0], op_type) else None


def _split_scores(scores: Node, producers: dict[str, Node]) -> tuple[Node | None, str]:
    """The ``MatMul`` of queries and keys, and the other term of the ``Add`` (the additive mask)."""
    for index in (0, 1):
        product = producers.get(scores.inputs[index])
        if _is(product, "MatMul", 2):
            return product, scores.inputs[1 - index]
    return None, ""


def _mask_only(name: str, graph: Graph, producers: dict[str, Node]) -> bool:
    """Whether ``name`` is computed from ``attention_mask`` and shapes only, by mask-building nodes."""
    seen, stack, reads_mask = set(), [name], False
    while stack:
        current = stack.pop()
        if current in seen or not current or current in graph.tensors:
            continue
        seen.add(current)
        if current in graph.inputs:  # another input is only ever reached through a Shape, never read
            if current != MASK_INPUT:
                return False
            reads_mask = True
            continue
        node = producers.get(current)
        if node is None or node.domain or node.op_type not in MASK_BUILDING:
            return False
        if node.op_type != "Shape":  # a Shape reads only the size of its input
            stack.extend(node.inputs)
    return reads_mask


def _scaled(name: str, graph: Graph, producers: dict[str, Node]) -> tuple[str, float]:
    """What ``name`` is, before any multiplications by a constant number, and the product of those numbers."""
    factor = 1.0
    node = producers.get(name)
    while _is(node, "Mul", 2):
        constants = [graph.tensors[i].scalar for i in node.inputs if i in graph.tensors]  # type: ignore[union-attr]
        if len(constants) != 1 or constants[0] is None:
            break
        factor *= constants[0]
        name = next(i for i in node.inputs if i not in graph.tensors)  # type: ignore[union-attr]
        node = producers.get(name)
    return name, factor


def _heads(name: str, producers: dict[str, Node]) -> tuple[Node, str] | None:
    """The projection split into heads as ``Transpose(Reshape(projection, shape))``: (projection, shape)."""
    transpose = producers.get(name)
    if not _is(transpose, "Transpose", 1) or node_ints_attribute(transpose, "perm") != HEADS_SPLIT:  # type: ignore[arg-type]
        return None
    reshape = producers.get(transpose.inputs[0])  # type: ignore[union-attr]
    projection = producers.get(reshape.inputs[0]) if _is(reshape, "Reshape", 2) else None  # type: ignore[union-attr]
    if projection is None or projection.op_type != "DynamicQuantizeMatMul":
        return None
    return projection, reshape.inputs[1]  # type: ignore[union-attr]


def _transposed_key(name: str, shape: str, producers: dict[str, Node]) -> Node | None:
    """The key projection, when ``name`` is its heads with the last two axes swapped (reshapes allowed between)."""
    swaps = 0
    node = producers.get(name)
    while _is(node, "Reshape", 2) or _is(node, "Transpose", 1):
        perm = node_ints_attribute(node, "perm") if node.op_type == "Transpose" else None  # type: ignore[union-attr]
        if perm == HEADS_SPLIT:
            heads = _heads(node.outputs[0], producers)  # type: ignore[union-attr]
            return heads[0] if heads and heads[1] == shape and swaps == 1 else None
        if node.op_type == "Transpose":  # type: ignore[union-attr]
            if perm not in LAST_TWO_SWAPPED:
                return None
            swaps += 1
        node = producers.get(node.inputs[0])  # type: ignore[union-attr]
    return None


def _guarded_softmax_output(softmax: Node, graph: Graph, consumers: dict[str, list[Node]]) -> str | None:
    """The attention probabilities: the softmax output, or ``Where(IsNaN(p), 0, p)`` of it."""
    output = softmax.outputs[0]
    readers = consumers.get(output, [])
    if len(readers) == 1 and _is(readers[0], "MatMul"):
        return output
    is_nan = next((r for r in readers if _is(r, "IsNaN", 1)), None)
    where = next((r for r in readers if _is(r, "Where", 3)), None)
    if len(readers) != 2 or is_nan is None or where is None:
        return None
    zero = graph.tensors.get(where.inputs[1])
    if where.inputs[0] != is_nan.outputs[0] or where.inputs[2] != output or zero is None or zero.scalar != 0.0:
        return None
    return where.outputs[0] if len(consumers.get(is_nan.outputs[0], [])) == 1 else None


def _merged_heads(name: str, consumers: dict[str, list[Node]]) -> str | None:
    """The output of ``Reshape(Transpose(name))`` that merges the heads back, if that is all that reads ``name``."""
    transpose = _only_reader(name, consumers, "Transpose")
    if transpose is None or node_ints_attribute(transpose, "perm") != HEADS_SPLIT:
        return None
    reshape = _only_reader(transpose.outputs[0], consumers, "Reshape")
    return reshape.outputs[0] if reshape is not None else None


def _head_size(shape: str, graph: Graph, producers: dict[str, Node]) -> int | None:
    """The last dimension of a heads shape: a constant, or the last constant piece of a ``Concat``."""
    constant = graph.tensors.get(shape)
    if constant is None:
        concat = producers.get(shape)
        if not _is(concat, "Concat") or not concat.inputs:  # type: ignore[union-attr]
            return None
        constant = graph.tensors.get(concat.inputs[-1])  # type: ignore[union-attr]
    values = constant.ints if constant is not None else None
    return values[-1] if values and values[-1] > 0 else None


def _int8_projections(projections: tuple[Node, Node, Node], graph: Graph, consumers: dict[str, list[Node]]) -> bool:
    """Whether the three are int8 products of one input, each with column scales and a bias, read only by the block."""
    first = projections[0].inputs[0]
    for projection in projections:
        if len(projection.inputs) != 5 or projection.inputs[0] != first or projection.inputs[3]:
            return False
        weight, scale, bias = (graph.tensors.get(projection.inputs[i]) for i in (1, 2, 4))
        if weight is None or scale is None or bias is None or len(weight.dims) != 2:
            return False
        if (weight.data_type, scale.data_type, bias.data_type) != (INT8, FLOAT, FLOAT):
            return False
        if weight.raw is None or scale.raw is None or bias.raw is None or len(consumers[projection.outputs[0]]) != 1:
            return False
        hidden = weight.dims[1]
        if weight.dims != (hidden, hidden) or scale.dims not in ((hidden,), (1, hidden)) or bias.dims != (hidden,):
            return False
    return len({id(p) for p in projections}) == 3 and len({graph.tensors[p.inputs[1]].dims for p in projections}) == 1
