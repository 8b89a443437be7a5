"""The vector store: one Chroma collection, embedded on disk or on a Chroma server.

This is the only module that imports chromadb, and it does so when a store is opened, so
that the CLI and the MCP server start without loading it. The facade stays narrow: add,
look up, update metadata, delete, query by vector, and page through everything.

Beside the records, the store keeps earlier versions of replaced records (a second
collection, metadata only) and a revision stamp in the collection's metadata: every write
that changes what search sees sets a new one, so a long-running process can tell that
another process changed the store whatever the record count.

Embedded (``chromadb.PersistentClient``) at a directory by default; a server
(``chromadb.HttpClient``) when a URL is given, which is how a team shares one memory: the
same code runs against ``chroma run``.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from pm_agent.errors import ConfigError, EmbedderMismatchError, MemoryStoreError

COLLECTION = "pm-agent-incidents"
VERSIONS = "pm-agent-incident-versions"
REINDEXING = "pm-agent-incidents-reindexing"
PAGE_SIZE = 1000
NO_VECTOR = [1.0]  # the versions collection is looked up by id only; Chroma still wants a vector per item


def embedder_mismatch(stored: str, in_use: str) -> str:
    """What to do when the stored vectors come from another embedder than the one in use."""
    return (
        f"this memory holds {stored} vectors but the embedder in use is {in_use}: run `pm-agent memory reindex` "
        f"to re-embed every record with {in_use} (or make {stored} available again)"
    )


@dataclass
class StoredItem:
    """One stored record: its id, its indexed text and its metadata."""

    id: str
    document: str
    metadata: dict[str, Any]


class ChromaStore:
    """A Chroma collection of incident records whose vectors come from one named embedder."""

    def __init__(self, *, path: Path | None = None, url: str | None = None, embedder_name: str) -> None:
        self.location = url or str(path)
        self._client = _open_client(path, url)
        self.embedder_name = embedder_name
        try:
            _finish_interrupted_reindex(self._client)
            self._collection = self._records_collection(COLLECTION, embedder_name)
            self._versions = None
        except Exception as exc:  # chromadb raises many kinds; all mean the store is unusable
            raise MemoryStoreError(f"cannot open the incident memory at {self.location}: {exc}") from exc
        self.stored_embedder = (self._collection.metadata or {}).get("embedder", embedder_name)
        self._max_batch = _max_batch_size(self._client)

    def _records_collection(self, name: str, embedder_name: str):
        return self._client.get_or_create_collection(
            name,
            embedding_function=None,
            configuration={"hnsw": {"space": "cosine"}},
            metadata={"embedder": embedder_name},
        )

    @property
    def revision(self) -> str:
        """The stamp the last write that changed documents or catalog fields left ("" before any)."""
        return str((self._client.get_collection(COLLECTION).metadata or {}).get("revision", ""))

    def new_revision(self) -> str:
        """Set (and return) a new revision stamp: call it after the write, so a reader that saw the
        old stamp reads again."""
        stamp = uuid.uuid4().hex
        self._collection.modify(metadata={"embedder": self.stored_embedder, "revision": stamp})
        return stamp

    @property
    def vectors_match(self) -> bool:
        """True when the stored vectors were made by the embedder in use (so they can be queried)."""
        return self.stored_embedder == self.embedder_name

    def count(self) -> int:
        return self._collection.count()

    def existing_ids(self, ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(ids), self._max_batch):
            found.update(self._collection.get(ids=list(ids[start : start + self._max_batch]), include=[])["ids"])
        return found

    def add(
        self,
        ids: Sequence[str],
        vectors: Sequence[Sequence[float]],
        documents: Sequence[str],
        metadatas: Sequence[dict[str, Any]],
    ) -> None:
        """Store new items (callers skip ids already present; ``upsert`` keeps a retry harmless)."""
        if not self.vectors_match:
            raise EmbedderMismatchError(embedder_mismatch(self.stored_embedder, self.embedder_name))
        for start in range(0, len(ids), self._max_batch):
            end = start + self._max_batch
            self._collection.upsert(
                ids=list(ids[start:end]),
                embeddings=[list(v) for v in vectors[start:end]],
                documents=list(documents[start:end]),
                metadatas=[_clean(m) for m in metadatas[start:end]],
            )

    def update_metadata(self, item_id: str, metadata: dict[str, Any]) -> None:
        self._collection.update(ids=[item_id], metadatas=[_clean(metadata)])

    def delete(self, ids: Sequence[str]) -> None:
        if ids:
            self._collection.delete(ids=list(ids))

    def get(self, ids: Sequence[str]) -> list[StoredItem]:
        if not ids:
            return []
        result = self._collection.get(ids=list(ids), include=["documents", "metadatas"])
        return _items(result)

    def find(self, where: dict[str, Any]) -> list[StoredItem]:
        """Items whose metadata matches a Chroma ``where`` filter."""
        return _items(self._collection.get(where=where, include=["documents", "metadatas"]))

    def all_ids(self) -> list[str]:
        """Every stored id, in one call: paging with an offset costs more the further the page is
        (an id page at offset 19,000 took twice as long as the first), so 100 pages cost seconds."""
        return list(self._collection.get(include=[])["ids"])

    def all_items(self, ids: Sequence[str] | None = None) -> Iterator[StoredItem]:
        """Every item (or those of ``ids``), fetched by id a page at a time, for the same reason."""
        ids = self.all_ids() if ids is None else ids
        for start in range(0, len(ids), PAGE_SIZE):
            yield from self.get(ids[start : start + PAGE_SIZE])

    # --- earlier versions of replaced records ------------------------------------------------

    def keep_versions(self, items: Sequence[StoredItem], current_id: str) -> None:
        """Keep ``items`` (each under its ``content_id``) as earlier versions of record ``current_id``."""
        if items:
            self._versions_collection().upsert(
                ids=[item.metadata.get("content_id", item.id) for item in items],
                embeddings=[NO_VECTOR] * len(items),
                metadatas=[_clean({**item.metadata, "current_id": current_id}) for item in items],
            )

    def version(self, version_id: str) -> StoredItem | None:
        """An earlier version kept under its content id (its metadata names the ``current_id``)."""
        versions = self._versions_collection(create=False)
        found = _items(versions.get(ids=[version_id], include=["metadatas"])) if versions else []
        return found[0] if found else None

    def versions_of(self, current_id: str) -> list[StoredItem]:
        """Every earlier version kept of record ``current_id``."""
        versions = self._versions_collection(create=False)
        return _items(versions.get(where={"current_id": current_id}, include=["metadatas"])) if versions else []

    def _versions_collection(self, *, create: bool = True):
        """The collection of earlier versions; None when none was ever kept and ``create`` is False (a read
        never creates it)."""
        if self._versions is None:
            if create:
                self._versions = self._client.get_or_create_collection(VERSIONS, embedding_function=None)
            elif VERSIONS in _collection_names(self._client):
                self._versions = self._client.get_collection(VERSIONS)
        return self._versions

    # --- re-embedding ----------------------------------------------------------------------

    def replace_all(self, batches: Iterator[tuple[list[StoredItem], list[list[float]]]]) -> None:
        """Write every item again with new vectors (from the embedder in use), then swap collections.

        The new vectors go to a second collection; only when it is complete is the old one
        dropped and the new one renamed. An interruption before the swap leaves the old
        collection as it was; one between drop and rename is finished when the store is next opened.
        """
        with contextlib.suppress(Exception):  # a leftover of an earlier interrupted run
            self._client.delete_collection(REINDEXING)
        target = self._records_collection(REINDEXING, self.embedder_name)
        for items, vectors in batches:
            for start in range(0, len(items), self._max_batch):
                part = items[start : start + self._max_batch]
                target.upsert(
                    ids=[item.id for item in part],
                    embeddings=[list(v) for v in vectors[start : start + len(part)]],
                    documents=[item.document for item in part],
                    metadatas=[_clean(item.metadata) for item in part],
                )
        target.modify(metadata={"embedder": self.embedder_name, "revision": uuid.uuid4().hex})
        self._client.delete_collection(COLLECTION)
        target.modify(name=COLLECTION)
        self._collection = self._client.get_collection(COLLECTION)
        self.stored_embedder = self.embedder_name

    def drop(self) -> None:
        """Delete the collections and everything in them, earlier versions too (the store cannot be used afterwards)."""
        self._client.delete_collection(COLLECTION)
        if VERSIONS in _collection_names(self._client):
            self._client.delete_collection(VERSIONS)

    def close(self) -> None:
        """Release the client and its connections; the store cannot be used afterwards.

        chromadb's ``Client.close()`` (1.5) stops the client's systems but not their
        ``httpx.Client`` sessions, and an ``HttpClient`` holds two (its own and a second one made
        for its internal admin client), each with a keep-alive socket to the server. Those are
        closed here, or they stay open until the interpreter exits.
        """
        sessions = _http_sessions(self._client)
        self._client.close()
        for session in sessions:
            session.close()

    def nearest(self, vector: Sequence[float], k: int) -> list[tuple[str, float]]:
        """The ``k`` nearest items as ``(id, cosine similarity)``, best first."""
        if k <= 0:
            return []
        result = self._collection.query(query_embeddings=[list(vector)], n_results=k, include=["distances"])
        pairs = zip(result["ids"][0], result["distances"][0], strict=True)
        return [(item_id, 1.0 - distance) for item_id, distance in pairs]


def stored_at(path: Path) -> bool:
    """True when an embedded store exists in ``path`` (without opening it or importing chromadb)."""
    return (Path(path) / "chroma.sqlite3").is_file()


def _finish_interrupted_reindex(client) -> None:
    """A re-embedding that dropped the old collection but did not rename the new one: rename it now."""
    names = _collection_names(client)
    if REINDEXING in names and COLLECTION not in names:
        client.get_collection(REINDEXING).modify(name=COLLECTION)


def _collection_names(client) -> set[str]:
    return {getattr(collection, "name", collection) for collection in client.list_collections()}


def _open_client(path: Path | None, url: str | None):
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    settings = ChromaSettings(anonymized_telemetry=False)
    try:
        if url:
            host, port, ssl = _parse_url(url)
            return chromadb.HttpClient(host=host, port=port, ssl=ssl, settings=settings)
        if path is None:
            raise ConfigError("the incident memory needs a directory or a Chroma server URL")
        Path(path).mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=settings)
    except (ConfigError, MemoryStoreError):
        raise
    except Exception as exc:
        where = url or str(path)
        raise MemoryStoreError(f"cannot reach the incident memory at {where}: {exc}") from exc


def _http_sessions(client) -> list:
    """The HTTP sessions behind a chromadb client and its admin client (none for an embedded store)."""
    owners = (client, getattr(client, "_admin_client", None))
    sessions = [getattr(getattr(owner, "_server", None), "_session", None) for owner in owners]
    return [session for session in sessions if session is not None and hasattr(session, "close")]


def _parse_url(url: str) -> tuple[str, int, bool]:
    parsed = urlparse(url if "://" in url else f"http://{url}")
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ConfigError(f"PM_AGENT_CHROMA_URL must look like http://host:8000, got {url!r}")
    ssl = parsed.scheme == "https"
    return parsed.hostname, parsed.port or (443 if ssl else 8000), ssl


def _max_batch_size(client) -> int:
    try:
        return max(1, int(client.get_max_batch_size()))
    except Exception:
        return 1000


def _clean(metadata: dict[str, Any]) -> dict[str, Any]:
    """Chroma accepts scalars and non-empty lists of strings; drop None and empty lists."""
    return {k: v for k, v in metadata.items() if v is not None and v != []}


def _items(result: dict[str, Any]) -> list[StoredItem]:
    documents = result.get("documents") or [""] * len(result["ids"])
    metadatas = result.get("metadatas") or [{}] * len(result["ids"])
    return [StoredItem(i, d or "", m or {}) for i, d, m in zip(result["ids"], documents, metadatas, strict=True)]
