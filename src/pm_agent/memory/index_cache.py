"""The memory's lexical index and catalog, kept on disk between processes.

Searching needs a BM25 index and a catalog (title, date, services, causes, factors) of every
stored record. Built from the store, that costs a new process 1.5 s at 10,000 records and
31 s at 100,000, mostly reading every document back from Chroma and tokenising it; every
CLI command that searches paid it.

Record ids are content hashes, so the text and the catalog fields stored under an id never
change (marking an action done updates only the action items): the set of stored ids says
exactly which index is right. The cache holds each record's term counts and catalog fields
with a fingerprint of that set. A process whose store holds exactly those ids loads it (0.3 s
at 10,000, the ids included) instead of rebuilding; any other set (another process ingested,
a postmortem replaced its earlier version) means a rebuild, which writes the cache again.

The file is JSON, never pickle: it is data, and a damaged or foreign file is ignored. Only the
embedded store keeps one, in its own directory; a Chroma server's clients rebuild as before.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

log = logging.getLogger("pm_agent.memory")

CACHE_FILE = "pm-agent-lexical-index.json"
CACHE_VERSION = 1
CATALOG_FIELDS = ("title", "kind", "source_id", "date", "services", "causes", "factors")

CachedRecord = tuple[str, dict[str, Any], dict[str, int]]  # id, catalog fields, term counts


def fingerprint(ids: Iterable[str]) -> str:
    """One digest of a set of record ids, whatever their order."""
    digest = hashlib.sha256()
    for record_id in sorted(ids):
        digest.update(record_id.encode("utf-8") + b"\n")
    return digest.hexdigest()


def catalog_fields(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """The stored metadata a catalog entry is made from (not the whole record)."""
    return {name: metadata.get(name) for name in CATALOG_FIELDS if metadata.get(name) is not None}


def load(path: Path, expected: str) -> list[CachedRecord] | None:
    """The cached records when ``path`` holds the index of exactly the ids ``expected`` digests; else None."""
    try:
        with path.open(encoding="utf-8") as file:
            data = json.load(file)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.info("ignoring the lexical index cache %s: %s", path, exc)
        return None
    if not isinstance(data, dict) or data.get("version") != CACHE_VERSION or data.get("fingerprint") != expected:
        return None
    records = data.get("records")
    if not isinstance(records, list) or not all(_well_formed(row) for row in records):
        log.info("ignoring the lexical index cache %s: unexpected contents", path)
        return None
    if fingerprint(row[0] for row in records) != expected:  # a file edited by hand, or cut short
        return None
    return [(row[0], row[1], row[2]) for row in records]


def save(path: Path, records: list[CachedRecord]) -> None:
    """Write the cache for ``records`` atomically; a failure (a read-only directory) only costs the next rebuild."""
    data = {"version": CACHE_VERSION, "fingerprint": fingerprint(row[0] for row in records),
            "records": [list(row) for row in records]}
    try:
        handle, temporary = tempfile.mkstemp(prefix=".lexical-", suffix=".tmp", dir=path.parent)
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(json.dumps(data, separators=(",", ":")))  # one C-encoded string: json.dump writes piecemeal
        os.replace(temporary, path)
    except OSError as exc:
        log.info("could not write the lexical index cache %s: %s", path, exc)
        try:
            os.unlink(temporary)
        except (OSError, UnboundLocalError):
            pass


def _well_formed(row: Any) -> bool:
    """The shape of one cached record (its values are checked where they are used: a bad one means a rebuild)."""
    return isinstance(row, list) and len(row) == 3 and isinstance(row[0], str) and isinstance(row[1], dict) \
        and isinstance(row[2], dict)
