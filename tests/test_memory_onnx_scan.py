"""The one-text-per-step wrapper: a chunk of padded texts in, each text's unit mean vector out, as if run alone."""

from __future__ import annotations

import numpy as np
import pytest

from pm_agent.embeddings.onnx.graph import (
    FLOAT,
    INT64,
    LENGTH,
    VARINT,
    Node,
    encode_fields,
    encode_tensor,
    tensor_value_info,
)
from pm_agent.embeddings.onnx.scan import SENTENCE_EMBEDDING, one_text_per_step

VOCABULARY, WIDTH = 6, 4
TABLE = np.arange(VOCABULARY * WIDTH, dtype=np.float32).reshape(VOCABULARY, WIDTH) % 7 - 3


def lookup_encoder(opset: int, inputs=("input_ids", "attention_mask", "token_type_ids")) -> bytes:
    """A toy encoder: each token's hidden state is its row of a table (masks are ignored, as padding is cut)."""
    node = Node("Gather", "", ["table", "input_ids"], ["last_hidden_state"])
    graph = [
        (1, LENGTH, node.encode()),
        (2, LENGTH, b"lookup"),
        (5, LENGTH, encode_tensor("table", FLOAT, TABLE.shape, TABLE.tobytes())),
    ]
    graph += [(11, LENGTH, tensor_value_info(name, INT64, ("batch", "sequence"))) for name in inputs]
    graph.append((12, LENGTH, tensor_value_info("last_hidden_state", FLOAT, ("batch", "sequence", WIDTH))))
    opset_import = encode_fields([(1, LENGTH, b""), (2, VARINT, opset)])
    return encode_fields([(1, VARINT, 8), (7, LENGTH, encode_fields(graph)), (8, LENGTH, opset_import)])


def run(model: bytes, texts: list[list[int]]) -> np.ndarray:
    import onnxruntime

    width = max(map(len, texts))
    ids = np.zeros((len(texts), width), dtype=np.int64)
    mask = np.zeros_like(ids)
    for row, text in enumerate(texts):
        ids[row, : len(text)], mask[row, : len(text)] = text, 1
    session = onnxruntime.InferenceSession(model, providers=["CPUExecutionProvider"])
    return session.run(
        [SENTENCE_EMBEDDING], {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
    )[0]


def alone(text: list[int]) -> np.ndarray:
    mean = TABLE[text].mean(axis=0)
    return mean / np.linalg.norm(mean)


@pytest.mark.parametrize("opset", [17, 18])  # ReduceMean's axes: an attribute before 18, an input from 18
def test_each_padded_text_gets_the_unit_mean_of_its_own_tokens_only(opset):
    texts = [[1, 2, 3, 4, 5], [2], [5, 1, 1]]

    vectors = run(one_text_per_step(lookup_encoder(opset)), texts)

    assert vectors.shape == (3, WIDTH)
    assert np.abs(vectors - np.array([alone(text) for text in texts])).max() < 1e-6


def test_a_graph_with_other_inputs_is_not_wrapped():
    assert one_text_per_step(lookup_encoder(17, inputs=("input_ids", "attention_mask"))) is None


def test_bytes_that_hold_no_graph_are_not_wrapped():
    assert one_text_per_step(encode_fields([(1, VARINT, 8)])) is None
