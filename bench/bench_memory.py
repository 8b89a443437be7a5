"""Benchmark of the incident memory: ingest rate and search latency, MiniLM beside chromadb's default.

Run from the repository root (needs ../shared/data/incidents.jsonl and the model packages):

    .venv/bin/python bench/bench_memory.py            # full run: ingest rates, then 10,000 stored
    .venv/bin/python bench/bench_memory.py --quick    # smaller counts, for a smoke run

What it measures, in one run on the same machine:

1. Ingest rate (incidents per second, wall clock, end to end through ``Memory.ingest_paths`` of a
   JSON Lines file: reading, cause classification, embedding, Chroma writes) of real incidents
   with pm-agent's MiniLM embedder (int8 products, fused attention, chunks of texts each computed
   alone, so no padding) and with chromadb's default embedding function (``ONNXMiniLM_L6_V2``,
   float32, which pads every text to 256 tokens), both running the same model file; ``--runs``
   times each, interleaved, with the median. The machine's cores may be shared with other work:
   the share of the cores the process got (its CPU time over wall time times cores) is printed
   beside each rate, and the rate divided by it, which is what the run would reach on a machine
   left to it.
2. Search latency (p50, p95) with 10,000 incidents stored: the whole ``Memory.search`` (query
   embedding, Chroma HNSW query, BM25, fusion, boosts), with each embedder for the query.
   The stored vectors come from pm-agent's embedder; the two agree to cosine > 0.98 on the same
   model file, so chromadb's embedding of the query is measured against the same store.

Measured on the project's 2-core AVX2 machine (2026-11-24, load average 1.0 at the start, full
run, medians of 3 interleaved runs):

| ingest | incidents/s | share of cores | scaled to all cores |
| --- | ---: | ---: | ---: |
| pm-agent MiniLM (int8 products, fused attention, one text per step) | 117.6 (runs 119.0, 117.6, 112.8) | 94% | 125.4 |
| chromadb default EF (pads to 256) | 13.4 (runs 13.4, 14.1, 11.8) | 97% | 13.8 |

History of the first row on this machine: 47.1/s with float32 products; 65-81/s with int8
products, one ONNX run per text (20.5 ms of CPU per incident, and the embedding threads
stalled whenever Chroma's write held the GIL between two texts); 117.6/s now, at about 16 ms
of CPU per incident: each self-attention is one fused QAttention kernel, onnxruntime's slower
SkipLayerNormalization fusion is turned off, one run embeds a chunk of 16 texts inside an ONNX
Scan (each text alone, as exact as single runs), and the next batches are embedded while one is
written to Chroma.

Search with 10,000 stored: p50 13.5 ms, p95 15.7 ms (pm-agent MiniLM query embedding; the first
search of a process takes about 1.5 s more, loading the BM25 index and catalog from the store);
70.2 / 76.5 ms with chromadb's default embedding of the query.

The incidents are the 227 real ones of ``incidents.jsonl`` repeated with a variant number in
each title (written to a temporary file, removed afterwards), so that every record is distinct
while texts keep their real lengths.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
INCIDENTS = REPO.parent / "shared" / "data" / "incidents.jsonl"
OURS_LABEL = "pm-agent MiniLM (int8 products, fused attention, one text per step)"
QUERIES = [
    "DNS resolution failed after a configuration push",
    "database primary ran out of disk space",
    "expired TLS certificate took down the API",
    "Kubernetes nodes NotReady after an upgrade",
    "leap second caused servers to hang",
    "BGP route leak made the network unreachable",
    "deploy of a bad build caused errors on every request",
    "load balancer health checks failing under traffic spike",
]


class ChromaDefaultEmbedder:
    """chromadb's default embedding function (fixed padding to 256 tokens) as an Embedder."""

    name = "all-MiniLM-L6-v2"  # same model, same vector space
    dimension = 384

    def __init__(self, model_files, scratch: Path) -> None:
        from chromadb.utils.embedding_functions.onnx_mini_lm_l6_v2 import (
            ONNXMiniLM_L6_V2,
        )

        onnx_dir = scratch / "chroma-cache" / "onnx"
        onnx_dir.mkdir(parents=True)
        os.symlink(model_files.onnx, onnx_dir / "model.onnx")
        os.symlink(model_files.tokenizer, onnx_dir / "tokenizer.json")
        for name in ("config.json", "special_tokens_map.json", "tokenizer_config.json", "vocab.txt"):
            (onnx_dir / name).write_text("{}", encoding="utf-8")

        class Cached(ONNXMiniLM_L6_V2):
            DOWNLOAD_PATH = onnx_dir.parent

        self._function = Cached(preferred_providers=["CPUExecutionProvider"])

    def embed_batch(self, texts):
        return [vector.tolist() for vector in self._function(list(texts))]


def write_variants(count: int, path: Path) -> Path:
    """``count`` rows of the real incidents, each distinct (a variant number from the second round on)."""
    rows = [json.loads(line) for line in INCIDENTS.read_text(encoding="utf-8").splitlines() if line.strip()]
    with path.open("w", encoding="utf-8") as out:
        for n in range(count):
            row, variant = rows[n % len(rows)], n // len(rows)
            if variant:
                row = {**row, "id": f"{row['id']}-v{variant}", "title": f"{row['title']} (variant {variant})"}
            out.write(json.dumps(row) + "\n")
    return path


def open_memory(directory: Path, embedder):
    from pm_agent.memory import Memory
    from pm_agent.settings import Settings

    return Memory(Settings(memory_dir=directory, chroma_url=None, embedder="auto"), embedder=embedder)


def ingest_rate(embedder, count: int, scratch: Path, label: str) -> dict:
    """``memory ingest`` of a JSON Lines file, end to end: read, classify, embed, store."""
    source = write_variants(count, scratch / f"rows-{count}.jsonl")
    memory = open_memory(scratch / f"ingest-{len(list(scratch.iterdir()))}", embedder)
    memory.count()  # open the store before timing
    embedder.embed_batch(["warm up the model"])
    started, cpu_started = time.perf_counter(), process_cpu_seconds()
    report = memory.ingest_paths([source])
    seconds, cpu = time.perf_counter() - started, process_cpu_seconds() - cpu_started
    assert report.added == count, report
    share = cpu / (seconds * (os.cpu_count() or 1))
    return {
        "embedder": label,
        "incidents": count,
        "seconds": round(seconds, 2),
        "per_second": round(count / seconds, 1),
        "cpu_share": round(share, 2),
        "per_second_if_machine_free": round(count / seconds / max(share, 1e-9), 1),
    }


def process_cpu_seconds() -> float:
    """User and system CPU time of this process (all its threads)."""
    times = os.times()
    return times.user + times.system


def search_latency(memory, embedder, label: str, rounds: int) -> dict:
    memory.embedder = embedder
    started = time.perf_counter()
    memory.search(QUERIES[0], k=5)  # the first search of a process loads the lexical index
    first_ms = (time.perf_counter() - started) * 1000
    timings = []
    for n in range(rounds):
        query = QUERIES[n % len(QUERIES)]
        started = time.perf_counter()
        memory.search(query, k=5)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {
        "query_embedder": label,
        "stored": memory.count(),
        "searches": rounds,
        "first_ms": round(first_ms),
        "p50_ms": round(statistics.median(timings), 1),
        "p95_ms": round(timings[int(0.95 * (len(timings) - 1))], 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small counts, for a smoke run")
    parser.add_argument("--stored", type=int, default=10_000, help="incidents stored for the search test")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    parser.add_argument("--search-only", action="store_true", help="skip the ingest rate comparison")
    parser.add_argument("--runs", type=int, default=3, help="ingest runs per embedder (the median is reported)")
    args = parser.parse_args()
    if not INCIDENTS.is_file():
        print(f"{INCIDENTS} is not present; nothing to benchmark", file=sys.stderr)
        return 2
    from pm_agent.embeddings.embedders import MiniLMEmbedder
    from pm_agent.embeddings.model_files import find_model_files

    files = find_model_files()
    if files is None:
        print("the MiniLM model files are not installed", file=sys.stderr)
        return 2
    ingest_count, chroma_count = (300, 60) if args.quick else (2000, 300)
    stored = 1000 if args.quick else args.stored
    ours = MiniLMEmbedder(files)
    scratch = Path(tempfile.mkdtemp(prefix="pm-agent-bench-"))
    try:
        theirs = ChromaDefaultEmbedder(files, scratch)
        print(
            f"model: {files.onnx} ({files.found_in}); cores: {os.cpu_count()}; "
            f"load average at start: {os.getloadavg()[0]:.2f}",
            flush=True,
        )
        results = {"ingest": [], "search": []}
        rate_runs = (
            []
            if args.search_only
            else [(OURS_LABEL, ours, ingest_count), ("chromadb default EF (pads to 256)", theirs, chroma_count)]
        )
        for _ in range(args.runs):  # interleaved, so that both see the same load on a shared machine
            for label, embedder, count in rate_runs:
                results["ingest"].append(ingest_rate(embedder, count, scratch, label))
                print(results["ingest"][-1], flush=True)
        results["ingest_median"] = median_rates(results["ingest"])
        memory = open_memory(scratch / "search", ours)
        started = time.perf_counter()
        memory.ingest_paths([write_variants(stored, scratch / "stored.jsonl")])
        print(f"stored {memory.count()} incidents in {time.perf_counter() - started:.0f} s", flush=True)
        memory = open_memory(scratch / "search", ours)  # a fresh process's view: the lexical index is not loaded
        for label, embedder, rounds in (("pm-agent MiniLM", ours, 200), ("chromadb default EF", theirs, 40)):
            results["search"].append(search_latency(memory, embedder, label, rounds))
            print(results["search"][-1], flush=True)
        results["load_average_at_end"] = round(os.getloadavg()[0], 2)
        print_table(results)
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


def median_rates(rows: list[dict]) -> list[dict]:
    """Per embedder, the median of its runs' rates (each column's median on its own)."""
    medians = []
    for label in dict.fromkeys(row["embedder"] for row in rows):
        runs = [row for row in rows if row["embedder"] == label]
        medians.append(
            {
                "embedder": f"{label}, median of {len(runs)}",
                "incidents": runs[0]["incidents"],
                **{
                    key: round(statistics.median(row[key] for row in runs), 2)
                    for key in ("seconds", "per_second", "cpu_share", "per_second_if_machine_free")
                },
            }
        )
    return medians


def print_table(results: dict) -> None:
    print(
        "\n| ingest: embedder | incidents | seconds | incidents/s | share of the cores it got "
        "| incidents/s scaled to all cores |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for row in results["ingest"] + results.get("ingest_median", []):
        print(
            f"| {row['embedder']} | {row['incidents']} | {row['seconds']} | {row['per_second']} "
            f"| {row['cpu_share']:.0%} "
            f"| {row['per_second_if_machine_free']} |"
        )
    print("\n| search: query embedder | stored | first search ms | p50 ms | p95 ms |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for row in results["search"]:
        print(f"| {row['query_embedder']} | {row['stored']} | {row['first_ms']} | {row['p50_ms']} | {row['p95_ms']} |")


if __name__ == "__main__":
    sys.exit(main())
