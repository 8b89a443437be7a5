"""The incident memory's facade: ingest, search, patterns, action tracking.

:class:`Memory` ties the adapters together: a Chroma store (embedded or a server), an
embedder (MiniLM, or the lexical fallback with a warning), the BM25 index kept beside the
store, and the cause classifier. The service layer (:mod:`pm_agent.service.memory`) opens it; the front
ends (CLI, MCP server) reach it only through the service (the retrieval eval opens scratch ones of its own).

Nothing heavy happens on construction except finding the model files: the store, the
embedding model and the lexical index are opened on first use.

An embedded store is used under a file lock (:mod:`pm_agent.memory.store_lock`): each public
method holds it while it reads or writes, so two processes never write at once.

A postmortem keeps its record id and its action ids across versions: a new version is written
over the current one under the same id (the old one first kept among the store's earlier
versions), so a failed write leaves the current version as it was, and every id the tools
handed out, including the content id of a version, still finds the current version.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from pydantic import BaseModel, Field

from pm_agent.embeddings.embedders import Embedder, embed_in_order, load_embedder, log
from pm_agent.errors import NotFoundError
from pm_agent.guards.redaction import redact_records
from pm_agent.memory import actions as action_tracking
from pm_agent.memory import index_cache
from pm_agent.memory.bm25 import BM25Index
from pm_agent.memory.causes import causes_of, with_causes
from pm_agent.memory.records import (
    MemoryRecord,
    record_from_incident,
    record_from_postmortem,
)
from pm_agent.memory.retrieval import (
    CatalogEntry,
    MemoryHit,
    Profile,
    RetrievalConfig,
    rank,
)
from pm_agent.memory.store import embedder_mismatch
from pm_agent.memory.store_lock import StoreLock
from pm_agent.models import Incident, Postmortem, RelatedIncident
from pm_agent.settings import Settings

T = TypeVar("T")
Progress = Callable[[Iterable[T], int, str], Iterable[T]]
INGEST_BATCH = 128
RELATED_WAIT_S = 10.0
"""How long a draft waits for another process (a long ingest) to finish with the memory before it goes
without related incidents: a draft is never held up for the length of an ingest."""


class IngestReport(BaseModel):
    """What an ingest did: records read, added, already present; files that could not be read."""

    files: int = 0
    read: int = 0
    added: int = 0
    already_stored: int = 0
    repeated_in_input: int = 0
    problems: list[str] = Field(default_factory=list)
    embedder: str = ""
    added_ids: list[str] = Field(default_factory=list)


class ReindexReport(BaseModel):
    """What a re-embedding did: how many records, from which embedder's vectors to which."""

    records: int
    previous_embedder: str | None
    """None when there was no memory to re-embed."""
    embedder: str


class Memory:
    """The incident memory: one instance per process, kept open by a server.

    Not thread-safe: a server serialises the calls (the MCP server holds a lock around it).
    ``embedder`` and ``today`` may be given (tests pass the lexical embedder and a fixed day).
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        embedder: Embedder | None = None,
        config: RetrievalConfig | None = None,
        today: Callable[[], dt.date] = dt.date.today,
    ) -> None:
        self.settings = settings or Settings()
        self.config = config or RetrievalConfig()
        self.today = today
        self.warning: str | None = None
        if embedder is None:
            embedder, self.warning = load_embedder(self.settings.embedder, self.settings.embedding_model_dir)
        self.embedder = embedder
        self.ingest_batch = INGEST_BATCH
        self._store = None
        self._lexical: BM25Index | None = None
        self._catalog: dict[str, CatalogEntry] = {}
        self._index_revision: str | None = None  # the store revision the lexical index was built at
        self._depth = 0  # how many _session blocks are open (they nest)
        self._seen_writes: int | None = None  # the lock file's write count when this process last used the store
        self._wrote = False

    @property
    def location(self) -> str:
        """Where the memory is (its directory or server URL), without opening it."""
        return self.settings.chroma_url or str(self.settings.memory_dir)

    # --- adapters, opened on first use ----------------------------------------------------

    @property
    def store(self):
        if self._store is None:
            from pm_agent.memory.store import ChromaStore

            self._store = ChromaStore(
                path=None if self.settings.chroma_url else self.settings.memory_dir,
                url=self.settings.chroma_url,
                embedder_name=self.embedder.name,
            )
        return self._store

    @contextlib.contextmanager
    def _session(self, wait_s: float | None = None) -> Iterator[Any]:
        """Use the store: for an embedded one, under its file lock (waiting up to ``wait_s`` for another process,
        by default the lock's own limit), opened again first when another process wrote since this one last used
        it (its open client would hold a stale index)."""
        if self._depth or self.settings.chroma_url:
            self._depth += 1
            try:
                yield self.store
            finally:
                self._depth -= 1
            return
        with StoreLock(self.settings.memory_dir, wait_s).held() as lock:
            if self._store is not None and lock.writes() != self._seen_writes:
                self.close()
            self._depth, self._wrote = 1, False
            try:
                yield self.store
            finally:
                self._depth = 0
                self._seen_writes = lock.count_write() if self._wrote else lock.writes()

    def _changed_documents(self) -> None:
        """After a write that changed what search sees: a new revision, which every reader notices."""
        self._wrote = True
        revision = self.store.new_revision()
        if self._lexical is not None:
            self._index_revision = revision

    def _index(self) -> tuple[BM25Index, dict[str, CatalogEntry]]:
        """The lexical index and catalog, loaded again when the store's revision stamp (set by every write of
        documents, in any process) or its record count is not the one they were built at."""
        revision = self.store.revision
        if self._lexical is None or revision != self._index_revision or len(self._catalog) != self.store.count():
            self._lexical, self._catalog = self._load_index(revision)
            self._index_revision = revision
        return self._lexical, self._catalog

    def _load_index(self, revision: str) -> tuple[BM25Index, dict[str, CatalogEntry]]:
        """From the cache on disk when it was made at this revision for exactly the stored ids, else from
        every stored record."""
        cache = None if self.settings.chroma_url else Path(self.settings.memory_dir) / index_cache.CACHE_FILE
        ids = self.store.all_ids()
        key = index_cache.fingerprint(ids, revision)
        cached = index_cache.load(cache, key) if cache else None
        if cached is not None:
            try:
                catalog = {item_id: catalog_entry(item_id, fields) for item_id, fields in cached.catalog.items()}
                return BM25Index.restore(cached.lexical), catalog
            except (TypeError, ValueError, KeyError, AttributeError) as exc:
                log.info("rebuilding the lexical index: its cache did not load (%s)", exc)
        lexical, catalog, fields_by_id = BM25Index(), {}, {}
        for item in self.store.all_items(ids):
            fields_by_id[item.id] = index_cache.catalog_fields(item.metadata)
            catalog[item.id] = catalog_entry(item.id, fields_by_id[item.id])
            lexical.add([(item.id, item.document)])
        if cache is not None:
            index_cache.save(cache, index_cache.CachedIndex(fields_by_id, lexical.export()), revision)
        return lexical, catalog

    # --- ingest ---------------------------------------------------------------------------

    def ingest_paths(self, paths: Sequence[str | Path], progress: Progress | None = None) -> IngestReport:
        """Read incident JSON, postmortem JSON, JSON Lines and Markdown files and store new records."""
        from pm_agent.memory.sources import read_paths

        result = read_paths(list(paths))  # before taking the lock: reading files needs no store
        report = self.ingest_records(result.records, progress)
        report.files, report.problems = result.files, result.problems
        return report

    def ingest_records(self, records: Sequence[MemoryRecord], progress: Progress | None = None) -> IngestReport:
        """Store the records whose content is not stored yet, in batches (an interrupted run resumes cleanly)."""
        with self._session():
            return self._ingest(records, progress)

    def _ingest(self, records: Sequence[MemoryRecord], progress: Progress | None) -> IngestReport:
        unique: dict[str, MemoryRecord] = {}
        for record in records:
            unique.setdefault(record.id, record)
        stored = self._stored_contents(list(unique))
        new = [record for record_id, record in unique.items() if record_id not in stored]
        new = redact_records(new, emails=self.settings.redact_emails)  # nothing unredacted is embedded or stored
        report = IngestReport(
            read=len(records),
            already_stored=len(stored),
            repeated_in_input=len(records) - len(unique),
            embedder=self.embedder.name,
        )
        batches = [new[start : start + self.ingest_batch] for start in range(0, len(new), self.ingest_batch)]
        stored_records = self._store_batches(batches, report)
        for _ in progress(stored_records, len(new), "ingest") if progress else stored_records:
            pass  # each record is yielded once its whole batch is stored, so a progress bar counts stored records
        return report

    def _stored_contents(self, ids: list[str]) -> set[str]:
        """Those of ``ids`` (content ids) whose content is stored: as a record's id, or as the current
        version of a postmortem stored under its first version's id."""
        stored = self.store.existing_ids(ids)
        versioned = [record_id for record_id in ids if record_id.startswith("pm-")]
        for start in range(0, len(versioned), 500):
            part = versioned[start : start + 500]
            superseded = [
                item.id
                for item in self.store.get([i for i in part if i in stored])
                if item.metadata.get("content_id", item.id) != item.id
            ]
            stored.difference_update(superseded)  # an earlier version's content, ingested again: a new version
            stored.update(item.metadata["content_id"] for item in self.store.find({"content_id": {"$in": part}}))
        return stored

    def _store_batches(self, batches: list[list[MemoryRecord]], report: IngestReport) -> Iterator[MemoryRecord]:
        """Embed the next batches while batch n is written; yield each batch's records once it is stored.

        Writing (cause classification, Chroma, metadata, the lexical index) is mostly
        single-threaded; overlapping it with the embedding of what follows keeps both cores busy
        (the embedded text does not depend on the cause categories). Only the writer thread
        touches the store. If the consumer stops (an interrupt), the batch being written is
        finished, never cut.
        """
        from concurrent.futures import ThreadPoolExecutor

        texts = [[record.text() for record in batch] for batch in batches]
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pm-agent-store") as writer:
            pending = None
            for batch, batch_texts, vectors in zip(batches, texts, embed_in_order(self.embedder, texts), strict=False):
                if pending is not None:
                    yield from pending.result()
                pending = writer.submit(self._write_batch, batch, batch_texts, vectors, report)
            if pending is not None:
                yield from pending.result()

    def _write_batch(
        self, batch: list[MemoryRecord], texts: list[str], vectors, report: IngestReport
    ) -> list[MemoryRecord]:
        """Store a batch: earlier versions are kept first, then the new ones written (a postmortem's over its
        current version, under the same id), and only then are other ids of the same incident retired."""
        index_current = self._lexical is not None and self.store.revision == self._index_revision
        versions = [self._next_version(record if record.causes else with_causes(record)) for record in batch]
        for version in versions:
            self.store.keep_versions(version.earlier, version.record.id)
        batch = [version.record for version in versions]
        metadatas = [record_metadata(v.record, v.content_id) for v in versions]
        self.store.add([r.id for r in batch], vectors, texts, metadatas)
        retired = [item.id for v in versions for item in v.earlier if item.id != v.record.id]
        self.store.delete(retired)
        if any(version.earlier for version in versions) or not index_current:
            self._lexical = None  # BM25 has no delete or replace (or another process wrote): rebuilt on the next search
        else:
            self._lexical.add(zip([r.id for r in batch], texts, strict=True))
            self._catalog.update((r.id, catalog_entry(r.id, m)) for r, m in zip(batch, metadatas, strict=True))
        self._changed_documents()
        report.added += len(batch)
        report.added_ids.extend(r.id for r in batch)
        return batch

    def _next_version(self, record: MemoryRecord) -> _Version:
        """A postmortem of an incident whose postmortem is stored becomes its next version: same record id,
        same ids and done state for the same actions. Anything else is stored as it is."""
        if record.kind != "postmortem":
            return _Version(record, record.id, [])
        same_incident = self.store.find({"source_id": record.source_id})
        earlier = [item for item in same_incident if item.metadata.get("kind") == "postmortem"]
        if not earlier:
            return _Version(record, record.id, [])
        current = record_from_metadata(earlier[0].metadata)
        for item in earlier[1:]:  # a memory made before versions were kept may hold several
            current = action_tracking.carry_over_done(record_from_metadata(item.metadata), current)
        numbers_used = [record_from_metadata(item.metadata) for item in self.store.versions_of(current.id)]
        return _Version(action_tracking.next_version(current, record, numbers_used), record.id, earlier)

    def remember(self, postmortem: Postmortem) -> MemoryRecord:
        """Store a finished postmortem (as the next version of the same incident's, if one is stored)."""
        record = with_causes(record_from_postmortem(postmortem, source="remember"))
        with self._session():
            self._ingest([record], None)
            return self.get_incident(record.id)

    def reindex(self, progress: Progress | None = None) -> ReindexReport:
        """Embed every stored record again with the embedder in use (after a switch of embedder).

        The new vectors are written beside the old ones and swapped in when all are written, so an
        interrupted run leaves the memory as it was. A memory that was never created stays uncreated.
        """
        if self._never_created():
            return ReindexReport(records=0, previous_embedder=None, embedder=self.embedder.name)
        with self._session() as store:
            items = list(store.all_items())
            previous = store.stored_embedder
            batches = [items[start : start + self.ingest_batch] for start in range(0, len(items), self.ingest_batch)]
            vectors = embed_in_order(self.embedder, [[item.document for item in batch] for batch in batches])
            written = zip(batches, vectors, strict=False)
            counted = _counted(written, progress, len(items), "reindex") if progress else written
            store.replace_all(counted)
            self._changed_documents()
            self._lexical = None
        self.warning = None if self.warning and "vectors but the embedder" in self.warning else self.warning
        return ReindexReport(records=len(items), previous_embedder=previous, embedder=self.embedder.name)

    # --- reading --------------------------------------------------------------------------

    def count(self) -> int:
        if self._never_created():
            return 0
        with self._session() as store:
            return store.count()

    def close(self) -> None:
        """Release the store (for a Chroma server, its connections); a later call opens it again."""
        if self._store is not None:
            self._store.close()
            self._store = None

    def records(self) -> list[MemoryRecord]:
        """Every stored record (none, creating nothing, from a memory that was never created)."""
        if self._never_created():
            return []
        with self._session() as store:
            return [record_from_metadata(item.metadata) for item in store.all_items()]

    def get_incident(self, record_or_incident_id: str) -> MemoryRecord:
        """A stored record by its id, the content id of any of its versions, or the incident's own id
        (its postmortem first)."""
        found = None
        if not self._never_created():
            with self._session():
                found = self._current_item(record_or_incident_id)
        if found is None:
            raise NotFoundError(f"the memory holds no incident {record_or_incident_id!r}")
        return record_from_metadata(found.metadata)

    def _current_item(self, any_id: str):
        found = self.store.get([any_id]) or self.store.find({"content_id": any_id})
        if not found and (earlier := self.store.version(any_id)) is not None:
            found = self.store.get([earlier.metadata["current_id"]])
        if not found:
            found = sorted(
                self.store.find({"source_id": any_id}), key=lambda item: item.metadata.get("kind") != "postmortem"
            )
        return found[0] if found else None

    def get_postmortem(self, record_or_incident_id: str) -> Postmortem:
        """The stored postmortem of an incident, with action statuses as tracked since."""
        record = self.get_incident(record_or_incident_id)
        if record.kind != "postmortem":
            raise NotFoundError(f"the memory holds an incident {record.source_id!r} but no postmortem of it")
        return postmortem_of(record)

    def stats(self) -> dict[str, Any]:
        if self._never_created():
            return {
                "location": self.location,
                "records": 0,
                "incidents": 0,
                "postmortems": 0,
                "embedder": self.embedder.name,
                "stored_vectors": None,
                "warning": self.warning,
            }
        with self._session():
            return self._stats()

    def _stats(self) -> dict[str, Any]:
        records = self.records()
        return {
            "location": self.store.location,
            "records": len(records),
            "incidents": sum(r.kind == "incident" for r in records),
            "postmortems": sum(r.kind == "postmortem" for r in records),
            "embedder": self.embedder.name,
            "stored_vectors": self.store.stored_embedder,
            "warning": self.warning,
        }

    # --- search ---------------------------------------------------------------------------

    def search(
        self,
        query_text: str | None = None,
        incident: Incident | Postmortem | MemoryRecord | str | None = None,
        k: int = 5,
        *,
        exclude: Iterable[str] = (),
    ) -> list[MemoryHit]:
        """Past incidents like a text or an incident (given as a model or as a stored id), best first.

        The incident itself, and any stored record of the same incident, is never returned. A memory that
        was never created gives none and stays uncreated.
        """
        if self._never_created():
            return []
        with self._session():
            return self._search(query_text, incident, k, exclude)

    def _search(self, query_text, incident, k: int, exclude: Iterable[str]) -> list[MemoryHit]:
        text, profile, own_id = self._query(query_text, incident)
        lexical_index, catalog = self._index()
        excluded = set(exclude) | {i for i, e in catalog.items() if own_id and (e.source_id == own_id or i == own_id)}
        depth = max(self.config.candidates, k) + len(excluded)
        dense: list[tuple[str, float]] = []
        if self.config.use_dense and not self.store.vectors_match:
            self._warn_once(
                f"{embedder_mismatch(self.store.stored_embedder, self.embedder.name)}; until then search ranks "
                "by words only (BM25)"
            )
        elif self.config.use_dense:
            vector = self.embedder.embed_batch([text])[0]
            dense = [pair for pair in self.store.nearest(vector, depth) if pair[0] not in excluded]
        lexical = lexical_index.search(text, depth, exclude=excluded) if self.config.use_lexical else []
        return rank(dense, lexical, profile, catalog, self.config, k)

    def related_for(
        self, incident: Incident | Postmortem, k: int = 5, *, wait_s: float | None = None
    ) -> list[RelatedIncident]:
        """The "Related incidents" of a draft: [] from an empty memory, without loading the model.

        A memory directory that was never created stays uncreated (drafting must not make one). A memory
        another process holds for longer than ``wait_s`` (by default ``RELATED_WAIT_S``) is a MemoryStoreError.
        """
        if self._never_created():
            return []
        with self._session(wait_s=RELATED_WAIT_S if wait_s is None else wait_s):
            if self.count() == 0:
                return []
            return [hit.as_related() for hit in self.search(incident=incident, k=k)]

    def _never_created(self) -> bool:
        from pm_agent.memory.store import stored_at

        return self._store is None and not self.settings.chroma_url and not stored_at(self.settings.memory_dir)

    def _warn_once(self, message: str) -> None:
        if message != self.warning:
            log.warning(message)
            self.warning = message

    def _query(self, query_text: str | None, incident) -> tuple[str, Profile, str | None]:
        if incident is None:
            if not (query_text and query_text.strip()):
                raise ValueError("search needs a query text or an incident")
            return query_text, Profile(causes=tuple(causes_of(query_text))), None
        record = self._as_record(incident)
        text = "\n".join(part for part in (query_text, record.text()) if part)
        causes = causes_of(text) if query_text or not record.causes else record.causes
        profile = Profile(tuple(record.services), tuple(causes), tuple(record.contributing_factors))
        return text, profile, record.source_id

    def _as_record(self, incident) -> MemoryRecord:
        if isinstance(incident, MemoryRecord):
            return incident
        if isinstance(incident, str):
            return self.get_incident(incident)
        if isinstance(incident, Postmortem):
            return with_causes(record_from_postmortem(incident))
        return with_causes(record_from_incident(incident, incident.model_dump(mode="json")))

    # --- patterns and actions -------------------------------------------------------------

    def patterns(self, since: dt.date | None = None):
        """Recurring causes, services and factors, repeats, quarterly trend, open actions."""
        from pm_agent.memory.patterns import build_report

        return build_report(self.records(), since=since, today=self.today())

    def list_actions(self, overdue: bool = False, include_done: bool = False) -> list[action_tracking.TrackedAction]:
        """Action items not done yet (only overdue ones with ``overdue``; all with ``include_done``)."""
        every = action_tracking.tracked_actions(self.records(), self.today())
        return action_tracking.select(every, overdue=overdue, include_done=include_done)

    def mark_action_done(self, action_id: str) -> action_tracking.TrackedAction:
        """Mark one action item done; returns it as now tracked. An action id of an earlier version of the
        postmortem marks the same action (same title) in the current one."""
        record_id = action_tracking.record_of_action(action_id)
        if self._never_created():
            raise NotFoundError(f"no action item {action_id!r}: the memory holds no record {record_id!r}")
        with self._session() as store:
            found = self._current_item(record_id)
            if found is None:
                raise NotFoundError(f"no action item {action_id!r}: the memory holds no record {record_id!r}")
            current = record_from_metadata(found.metadata)
            action_id = self._action_in(current, action_id, record_id)
            record = action_tracking.marked_done(current, action_id, self.today())
            store.update_metadata(record.id, record_metadata(record, found.metadata.get("content_id", record.id)))
            self._wrote = True
        tracked = action_tracking.tracked_actions([record], self.today())
        return next(action for action in tracked if action.id == action_id)

    def link_actions(self, incident_id: str, links: dict[str, tuple[str | None, str | None]]) -> MemoryRecord:
        """Give the actions of an incident's current postmortem their tracker issue (by action title: address and
        state), in place: the links are not a new version of the postmortem."""
        with self._session() as store:
            found = self._current_item(incident_id)
            if found is None or found.metadata.get("kind") != "postmortem":
                raise NotFoundError(f"the memory holds no postmortem of {incident_id!r}")
            record = action_tracking.with_tracker_links(record_from_metadata(found.metadata), links)
            store.update_metadata(record.id, record_metadata(record, found.metadata.get("content_id", record.id)))
            self._wrote = True
        return record

    def _action_in(self, current: MemoryRecord, action_id: str, record_id: str) -> str:
        """The id ``action_id`` has in the current version (it may come from an earlier one)."""
        if any(item.id == action_id for item in current.action_items) or record_id == current.id:
            return action_id
        earlier = self.store.version(record_id)
        if earlier is None:
            return action_id
        titles = {item.id: item.title.casefold() for item in record_from_metadata(earlier.metadata).action_items}
        same = [item.id for item in current.action_items if item.title.casefold() == titles.get(action_id)]
        return same[0] if same else action_id


# --- how records are kept in the store's metadata ------------------------------------------


class _Version(NamedTuple):
    """A record as it will be stored, the content id it came in with, and the stored items it replaces."""

    record: MemoryRecord
    content_id: str
    earlier: list[Any]


def _counted(items: Iterable[tuple[list[T], Any]], progress: Progress, total: int, label: str):
    """Pass batches through while ``progress`` counts their items (it draws one step per item)."""
    ticks = iter(progress(range(total), total, label))
    for batch, extra in items:
        yield batch, extra
        for _ in batch:
            next(ticks, None)
    for _ in ticks:
        pass


def record_metadata(record: MemoryRecord, content_id: str | None = None) -> dict[str, Any]:
    """Flat fields Chroma can filter on, plus the whole record as JSON and the content id of this version
    (the record id stays that of the first version)."""
    return {
        "content_id": content_id or record.id,
        "kind": record.kind,
        "source_id": record.source_id,
        "title": record.title,
        "date": record.date.isoformat() if record.date else None,
        "severity": record.severity,
        "services": record.services,
        "causes": record.causes,
        "factors": record.contributing_factors,
        "open_actions": sum(item.status != "done" for item in record.action_items),
        "record": record.model_dump_json(exclude_defaults=True),
    }


def record_from_metadata(metadata: dict[str, Any]) -> MemoryRecord:
    return MemoryRecord.model_validate_json(metadata["record"])


def catalog_entry(item_id: str, metadata: dict[str, Any]) -> CatalogEntry:
    date = metadata.get("date")
    return CatalogEntry(
        id=item_id,
        title=metadata.get("title", ""),
        kind=metadata.get("kind", "incident"),
        source_id=metadata.get("source_id", item_id),
        date=dt.date.fromisoformat(date) if date else None,
        profile=Profile(
            services=tuple(metadata.get("services") or ()),
            causes=tuple(metadata.get("causes") or ()),
            factors=tuple(metadata.get("factors") or ()),
        ),
    )


def postmortem_of(record: MemoryRecord) -> Postmortem:
    """Our postmortem model for a stored postmortem record, action statuses as tracked."""
    if record.original:
        base = Postmortem.model_validate(record.original)
    else:
        base = Postmortem(
            incident_id=record.source_id,
            title=record.title,
            summary=record.summary,
            date=record.date,
            severity=record.severity,
            services=record.services,
            contributing_factors=record.contributing_factors,
        )
    return base.model_copy(update={"action_items": list(record.action_items)})
