"""Read and write ONNX models at the protobuf wire level, as far as the graph rewrites need.

The onnx package is not needed: a model is decoded only down to its graph's nodes, its
initializers' names, types and shapes (and the bytes of those a rewrite combines), its
inputs and outputs and its opset list; every other byte (the weights above all) is passed
through as it is. :mod:`pm_agent.embeddings.onnx.int8` and :mod:`pm_agent.embeddings.onnx.attention`
are the rewrites built on it.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass, field

# Field numbers of onnx.proto (ModelProto, GraphProto, NodeProto, TensorProto, AttributeProto, OperatorSetIdProto).
MODEL_GRAPH, MODEL_OPSET = 7, 8
GRAPH_NODE, GRAPH_NAME, GRAPH_INITIALIZER, GRAPH_INPUT, GRAPH_OUTPUT, GRAPH_VALUE_INFO = 1, 2, 5, 11, 12, 13
NODE_INPUT, NODE_OUTPUT, NODE_NAME, NODE_OP_TYPE, NODE_ATTRIBUTE, NODE_DOMAIN = 1, 2, 3, 4, 5, 7
TENSOR_DIMS, TENSOR_DATA_TYPE, TENSOR_FLOAT_DATA, TENSOR_NAME, TENSOR_RAW_DATA = 1, 2, 4, 8, 9
ATTRIBUTE_NAME, ATTRIBUTE_INT, ATTRIBUTE_GRAPH, ATTRIBUTE_INTS, ATTRIBUTE_TYPE = 1, 3, 6, 8, 20
ATTRIBUTE_TYPE_INT, ATTRIBUTE_TYPE_GRAPH, ATTRIBUTE_TYPE_INTS = 2, 5, 7
OPSET_DOMAIN, OPSET_VERSION = 1, 2
VALUE_INFO_NAME, VALUE_INFO_TYPE = 1, 2
TYPE_TENSOR, TENSOR_TYPE_ELEMENT, TENSOR_TYPE_SHAPE, SHAPE_DIM, DIM_VALUE, DIM_PARAM = 1, 1, 2, 1, 1, 2
FLOAT, UINT8, INT8, INT32, INT64 = 1, 2, 3, 6, 7
MICROSOFT = "com.microsoft"

VARINT, FIXED64, LENGTH, FIXED32 = 0, 1, 2, 5

Field = tuple[int, int, object]  # (field number, wire type, int or bytes/memoryview)


# --- protobuf wire format -------------------------------------------------------------------


def _read_varint(data: memoryview, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7


def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1  # negative int64 values are written as ten-byte two's complement
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def parse_fields(data: bytes | memoryview) -> list[Field]:
    """The fields of one message in order; length-delimited values stay views of ``data``."""
    view, pos, fields = memoryview(data), 0, []
    while pos < len(view):
        key, pos = _read_varint(view, pos)
        number, wire = key >> 3, key & 7
        if wire == VARINT:
            value, pos = _read_varint(view, pos)
        elif wire == LENGTH:
            size, pos = _read_varint(view, pos)
            value, pos = view[pos : pos + size], pos + size
        elif wire in (FIXED64, FIXED32):
            size = 8 if wire == FIXED64 else 4
            value, pos = view[pos : pos + size], pos + size
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        fields.append((number, wire, value))
    return fields


def encode_fields(fields: list[Field]) -> bytes:
    parts = []
    for number, wire, value in fields:
        parts.append(_varint(number << 3 | wire))
        if wire == VARINT:
            parts.append(_varint(value))  # type: ignore[arg-type]
        elif wire == LENGTH:
            parts.append(_varint(len(value)))  # type: ignore[arg-type]
            parts.append(bytes(value))  # type: ignore[arg-type]
        else:
            parts.append(bytes(value))  # type: ignore[arg-type]
    return b"".join(parts)


def _text(value) -> str:
    return bytes(value).decode("utf-8")


# --- the graph, as far as the rewrite needs it ------------------------------------------------


@dataclass
class Node:
    """A graph node: what the rewrite reads and changes, and its other fields kept as they were."""

    op_type: str
    domain: str
    inputs: list[str]
    outputs: list[str]
    rest: list[Field] = field(default_factory=list)
    raw: bytes | None = None  # the original encoding, reused while the node is unchanged

    @classmethod
    def parse(cls, data) -> Node:
        node = cls("", "", [], [], raw=bytes(data))
        for number, wire, value in parse_fields(data):
            if number == NODE_INPUT:
                node.inputs.append(_text(value))
            elif number == NODE_OUTPUT:
                node.outputs.append(_text(value))
            elif number == NODE_OP_TYPE:
                node.op_type = _text(value)
            elif number == NODE_DOMAIN:
                node.domain = _text(value)
            else:
                node.rest.append((number, wire, value))
        return node

    def encode(self) -> bytes:
        if self.raw is not None:
            return self.raw
        fields: list[Field] = [(NODE_INPUT, LENGTH, name.encode()) for name in self.inputs]
        fields += [(NODE_OUTPUT, LENGTH, name.encode()) for name in self.outputs]
        fields += self.rest + [(NODE_OP_TYPE, LENGTH, self.op_type.encode())]
        if self.domain:
            fields.append((NODE_DOMAIN, LENGTH, self.domain.encode()))
        return encode_fields(fields)


@dataclass(frozen=True)
class Tensor:
    """An initializer's element type and shape, its value when it is one float or a few int64s, and its raw bytes.

    Other data is never decoded: ``raw`` is a view of the model's own bytes, read only by a
    rewrite that combines weights.
    """

    data_type: int
    dims: tuple[int, ...]
    scalar: float | None = None
    ints: tuple[int, ...] | None = None
    raw: bytes | memoryview | None = field(default=None, compare=False, repr=False)


def parse_tensor_header(data) -> tuple[str, Tensor]:
    name, data_type, dims, payload, raw = "", 0, [], None, None
    for number, wire, value in parse_fields(data):
        if number == TENSOR_NAME:
            name = _text(value)
        elif number == TENSOR_DATA_TYPE:
            data_type = value  # type: ignore[assignment]
        elif number == TENSOR_DIMS and wire == VARINT:
            dims.append(value)
        elif number == TENSOR_DIMS:  # packed
            view, pos = memoryview(value), 0  # type: ignore[arg-type]
            while pos < len(view):
                dim, pos = _read_varint(view, pos)
                dims.append(dim)
        elif number == TENSOR_RAW_DATA:
            raw = value
        if number in (TENSOR_FLOAT_DATA, TENSOR_RAW_DATA) and len(value) == 4:  # type: ignore[arg-type]
            payload = bytes(value)  # type: ignore[arg-type]
    scalar = struct.unpack("<f", payload)[0] if data_type == FLOAT and payload and math.prod(dims) == 1 else None
    ints = None
    if data_type == INT64 and raw is not None and len(raw) <= 64:  # type: ignore[arg-type]
        ints = struct.unpack(f"<{len(raw) // 8}q", bytes(raw))  # type: ignore[arg-type]
    return name, Tensor(data_type, tuple(dims), scalar, ints, raw)


def encode_tensor(name: str, data_type: int, dims: tuple[int, ...], raw: bytes) -> bytes:
    """An initializer holding ``raw`` (little-endian elements of ``data_type``)."""
    fields: list[Field] = [(TENSOR_DIMS, VARINT, dim) for dim in dims]
    fields += [
        (TENSOR_DATA_TYPE, VARINT, data_type),
        (TENSOR_NAME, LENGTH, name.encode()),
        (TENSOR_RAW_DATA, LENGTH, raw),
    ]
    return encode_fields(fields)


def int_attribute(name: str, value: int) -> Field:
    """A node's integer attribute, as a field to put in :attr:`Node.rest`."""
    attribute = encode_fields(
        [
            (ATTRIBUTE_NAME, LENGTH, name.encode()),
            (ATTRIBUTE_INT, VARINT, value),
            (ATTRIBUTE_TYPE, VARINT, ATTRIBUTE_TYPE_INT),
        ]
    )
    return (NODE_ATTRIBUTE, LENGTH, attribute)


def ints_attribute(name: str, values: tuple[int, ...]) -> Field:
    """A node's list-of-integers attribute (``axes``), as a field to put in :attr:`Node.rest`."""
    fields: list[Field] = [(ATTRIBUTE_NAME, LENGTH, name.encode())]
    fields += [(ATTRIBUTE_INTS, VARINT, value) for value in values]
    fields.append((ATTRIBUTE_TYPE, VARINT, ATTRIBUTE_TYPE_INTS))
    return (NODE_ATTRIBUTE, LENGTH, encode_fields(fields))


def graph_attribute(name: str, graph: bytes) -> Field:
    """A node's subgraph attribute (a Scan's ``body``), as a field to put in :attr:`Node.rest`."""
    attribute = encode_fields(
        [
            (ATTRIBUTE_NAME, LENGTH, name.encode()),
            (ATTRIBUTE_GRAPH, LENGTH, graph),
            (ATTRIBUTE_TYPE, VARINT, ATTRIBUTE_TYPE_GRAPH),
        ]
    )
    return (NODE_ATTRIBUTE, LENGTH, attribute)


def tensor_value_info(name: str, element_type: int, dims: tuple[int | str, ...]) -> bytes:
    """A graph input or output: its name, element type and shape (numbers, or names of free dimensions)."""
    dimensions = [
        encode_fields([(DIM_VALUE, VARINT, dim) if isinstance(dim, int) else (DIM_PARAM, LENGTH, dim.encode())])
        for dim in dims
    ]
    shape = encode_fields([(SHAPE_DIM, LENGTH, dimension) for dimension in dimensions])
    tensor_type = encode_fields([(TENSOR_TYPE_ELEMENT, VARINT, element_type), (TENSOR_TYPE_SHAPE, LENGTH, shape)])
    value_type = encode_fields([(TYPE_TENSOR, LENGTH, tensor_type)])
    return encode_fields([(VALUE_INFO_NAME, LENGTH, name.encode()), (VALUE_INFO_TYPE, LENGTH, value_type)])


def opset_version(top: list[Field], domain: str = "") -> int | None:
    """The model's opset version for ``domain`` (the default, ONNX's own, when not given)."""
    for number, _, value in top:
        if number == MODEL_OPSET and _opset_domain(value) == domain:
            return next((v for n, _, v in parse_fields(value) if n == OPSET_VERSION), None)  # type: ignore[return-value]
    return None


def node_int_attribute(node: Node, name: str) -> int | None:
    """The value of ``node``'s integer attribute ``name``, if it has one."""
    for number, _, value in node.rest:
        if number != NODE_ATTRIBUTE:
            continue
        fields = parse_fields(value)  # type: ignore[arg-type]
        if any(n == ATTRIBUTE_NAME and _text(v) == name for n, _, v in fields):
            value = next((v for n, _, v in fields if n == ATTRIBUTE_INT), None)
            return None if value is None else _signed(value)  # type: ignore[arg-type]
    return None


def node_ints_attribute(node: Node, name: str) -> tuple[int, ...] | None:
    """The value of ``node``'s list-of-integers attribute ``name`` (a Transpose's ``perm``), if it has one."""
    for number, _, value in node.rest:
        if number != NODE_ATTRIBUTE:
            continue
        fields = parse_fields(value)  # type: ignore[arg-type]
        if not any(n == ATTRIBUTE_NAME and _text(v) == name for n, _, v in fields):
            continue
        ints: list[int] = []
        for n, wire, v in fields:
            if n == ATTRIBUTE_INTS and wire == VARINT:  # one by one
                ints.append(_signed(v))  # type: ignore[arg-type]
            elif n == ATTRIBUTE_INTS:  # packed
                view, pos = memoryview(v), 0  # type: ignore[arg-type]
                while pos < len(view):
                    item, pos = _read_varint(view, pos)
                    ints.append(_signed(item))
        return tuple(ints)
    return None


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def producers_of(nodes: list[Node]) -> dict[str, Node]:
    """Each value name -> the node that writes it."""
    return {name: node for node in nodes for name in node.outputs}


def consumers_of(nodes: list[Node]) -> dict[str, list[Node]]:
    """Each value name -> the nodes that read it, in graph order."""
    readers: dict[str, list[Node]] = {}
    for node in nodes:
        for name in node.inputs:
            readers.setdefault(name, []).append(node)
    return readers


@dataclass
class Graph:
    """A model's graph: nodes to rewrite, initializer headers, input and output names, and how to write it back."""

    nodes: list[Node]
    tensors: dict[str, Tensor]
    inputs: list[str]
    outputs: set[str]
    new_initializers: list[bytes] = field(default_factory=list)

    def producers(self) -> dict[str, Node]:
        return producers_of(self.nodes)

    def consumers(self) -> dict[str, list[Node]]:
        return consumers_of(self.nodes)

    def add_initializer(self, name: str, data_type: int, dims: tuple[int, ...], raw: bytes) -> str:
        self.new_initializers.append(encode_tensor(name, data_type, dims, raw))
        self.tensors[name] = Tensor(data_type, dims, raw=raw)
        return name

    def without_dead_nodes(self) -> None:
        """Drop the nodes none of whose outputs is needed for the graph's outputs."""
        needed, kept = set(self.outputs), []
        for node in reversed(self.nodes):
            if any(name in needed for name in node.outputs):
                kept.append(node)
                needed.update(name for name in node.inputs if name)
        self.nodes = kept[::-1]


def read_model(model: bytes) -> tuple[list[Field], int, list[Field], Graph] | None:
    """The model's top-level fields, where its graph is among them, the graph's fields and the graph; None if no graph."""
    top = parse_fields(model)
    graph_at = next((i for i, (number, wire, _) in enumerate(top) if number == MODEL_GRAPH and wire == LENGTH), None)
    if graph_at is None:
        return None
    fields = parse_fields(top[graph_at][2])  # type: ignore[arg-type]
    graph = Graph(
        nodes=[Node.parse(value) for number, _, value in fields if number == GRAPH_NODE],
        tensors=dict(parse_tensor_header(value) for number, _, value in fields if number == GRAPH_INITIALIZER),
        inputs=[value_info_name(value) for number, _, value in fields if number == GRAPH_INPUT],
        outputs={value_info_name(value) for number, _, value in fields if number == GRAPH_OUTPUT},
    )
    return top, graph_at, fields, graph


def write_model(top: list[Field], graph_at: int, fields: list[Field], graph: Graph) -> bytes:
    """The model with ``graph``'s nodes and new initializers; initializers no node reads any more are left out."""
    read = {name for node in graph.nodes for name in node.inputs} | set(graph.inputs) | graph.outputs
    kept: list[Field] = []
    for item in fields:
        number, _, value = item
        if number == GRAPH_NODE:
            continue
        if number == GRAPH_INITIALIZER and _tensor_name(value) not in read:
            continue
        kept.append(item)
    kept[:0] = [(GRAPH_NODE, LENGTH, node.encode()) for node in graph.nodes]
    kept += [(GRAPH_INITIALIZER, LENGTH, tensor) for tensor in graph.new_initializers]
    top = list(top)
    top[graph_at] = (MODEL_GRAPH, LENGTH, encode_fields(kept))
    if not any(number == MODEL_OPSET and _opset_domain(value) == MICROSOFT for number, _, value in top):
        opset = encode_fields([(OPSET_DOMAIN, LENGTH, MICROSOFT.encode()), (OPSET_VERSION, VARINT, 1)])
        top.append((MODEL_OPSET, LENGTH, opset))
    return encode_fields(top)


def value_info_name(value) -> str:
    return next((_text(v) for number, _, v in parse_fields(value) if number == VALUE_INFO_NAME), "")


def _tensor_name(value) -> str:
    return next((_text(v) for number, _, v in parse_fields(value) if number == TENSOR_NAME), "")


def _opset_domain(value) -> str:
    return next((_text(v) for number, _, v in parse_fields(value) if number == OPSET_DOMAIN), "")
