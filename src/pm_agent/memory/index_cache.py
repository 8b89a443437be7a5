"""The memory's lexical index and catalog, kept on disk between processes.

Searching needs a BM25 index and a catalog (title, date, services, causes, factors) of every
stored record. Built from the store, that costs a new process 1.5 s at 10,000 records and
31 s at 100,000, mostly reading every document back from Chroma and tokenising it; every
CLI command that searches paid it.

The set of stored ids does not say which index is right: a postmortem's next version is
stored under the same id with new text. So the cache is keyed by the set of ids *and* the
store's revision stamp, which every write of documents sets anew (marking an action done
changes only the action items, and no stamp). A process whose store holds exactly those ids
at that revision loads the cache (0.2-0.3 s at 10,000, the ids included) instead of
rebuilding; anything else (another process ingested, a postmortem got a new version) means a
rebuild, which writes the cache again.

The file is JSON, never pickle: it is data, and a damaged or foreign file is ignored. Only the
embedded store keeps one, in its own directory; a Chroma server's clients rebuild as before.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger("pm_agent.memory")

CACHE_FILE = "pm-agent-lexical-index.json"
CACHE_VERSION = 3  # 1 held term counts per record; 2 the BM25 postings; 3 keys them by ids and revision
CATALOG_FIELDS = ("title", "kind", "source_id", "date", "services", "causes", "factors")


@dataclass(frozen=True)
class CachedIndex:
    """What the cache holds: each record's catalog fields, by id, and the exported BM25 index."""

    catalog: dict[str, dict[str, Any]]
    lexical: dict[str, Any]


def fingerprint(ids: Iterable[str], revision: str = "") -> str:
    """One digest of a set of record ids, whatever their order, and the store's revision stamp."""
    digest = hashlib.sha256(revision.encode("utf-8") + b"\n")
    for record_id in sorted(ids):
        digest.update(record_id.encode("utf-8") + b"\n")
    return digest.hexdigest()


def catalog_fields(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """The stored metadata a catalog entry is made from (not the whole record)."""
    return {name: metadata.get(name) for name in CATALOG_FIELDS if metadata.get(name) is not None}


def load(path: Path, expected: str) -> CachedIndex | None:
    """The cached index when ``path`` holds the one of exactly the ids and revision ``expected`` digests; else None."""
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
    catalog, lexical = data.get("catalog"), data.get("lexical")
    if (
        not isinstance(catalog, dict)
        or not all(isinstance(fields, dict) for fields in catalog.values())
        or not isinstance(lexical, dict)
        or not isinstance(lexical.get("ids"), list)
    ):
        log.info("ignoring the lexical index cache %s: unexpected contents", path)
        return None
    revision = data.get("revision")
    if (
        not isinstance(revision, str)
        or fingerprint(catalog, revision) != expected
        or sorted(lexical["ids"]) != sorted(catalog)
    ):  # edited by hand, or cut short
        return None
    return CachedIndex(catalog, lexical)


def save(path: Path, index: CachedIndex, revision: str) -> None:
    """Write the cache atomically; a failure (a read-only directory) only costs the next process a rebuild."""
    data = {
        "version": CACHE_VERSION,
        "fingerprint": fingerprint(index.catalog, revision),
        "revision": revision,
        "catalog": index.catalog,
        "lexical": index.lexical,
    }
    temporary = None
    try:
        handle, temporary = tempfile.mkstemp(prefix=".lexical-", suffix=".tmp", dir=path.parent)
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(json.dumps(data, separators=(",", ":")))  # one C-encoded string: json.dump writes piecemeal
        os.replace(temporary, path)
    except OSError as exc:
        log.info("could not write the lexical index cache %s: %s", path, exc)
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
