"""The memory's use cases: ingest, search, remember, patterns, action tracking, stats, reindex.

Front ends reach the incident memory only through these methods (mixed into
:class:`pm_agent.service.PostmortemService`), never by opening :class:`pm_agent.memory.Memory`
themselves: so the CLI and the MCP server share one opened memory per process, one lock around it,
and the same results for the same question.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from pm_agent.errors import ConfigError, InputError, MemoryStoreError
from pm_agent.memory.actions import TrackedAction
from pm_agent.memory.api import IngestReport, ReindexReport
from pm_agent.memory.patterns import PatternsReport
from pm_agent.memory.records import MemoryRecord
from pm_agent.memory.retrieval import MemoryHit
from pm_agent.models import Incident, Postmortem, RelatedIncident

if TYPE_CHECKING:
    from pm_agent.embeddings.model_files import ModelFiles
    from pm_agent.memory import Memory
    from pm_agent.settings import Settings

T = TypeVar("T")
log = logging.getLogger("pm_agent.service")

__all__ = [
    "IngestReport",
    "Ingested",
    "MemoryHit",
    "MemoryRecord",
    "MemoryUseCases",
    "PatternsReport",
    "ReindexReport",
    "TrackedAction",
]


class Ingested(NamedTuple):
    """What an ingest did, and the memory it did it to (where it lives, how many records it holds now)."""

    report: IngestReport
    location: str
    records: int


class MemoryUseCases:
    """The memory half of :class:`pm_agent.service.PostmortemService` (which sets the attributes below)."""

    settings: Settings
    _memory: Memory | None
    _memory_lock: threading.Lock

    # --- the opened memory ----------------------------------------------------------------
    def with_memory(self, use: Callable[[Memory], T]) -> T:
        """``use(memory)`` on the incident memory, opened on first use; calls are serialised, since the
        embedded store is one database and the MCP server runs tools in several threads."""
        with self._memory_lock:
            return use(self._opened_memory())

    def _opened_memory(self) -> Memory:
        """The incident memory, made on first use (call with ``_memory_lock`` held)."""
        if self._memory is None:
            from pm_agent.memory import Memory

            self._memory = Memory(self.settings)
        return self._memory

    def memory_in_use(self) -> bool:
        """True when a memory may hold records: a Chroma server is configured or the local store exists.
        Checked without opening the store, so drafting with no memory loads no vector database."""
        return bool(self.settings.chroma_url) or (self.settings.memory_dir / "chroma.sqlite3").is_file()

    def empty_memory_at(self) -> str | None:
        """Where the memory lives when it holds no records yet (never created, or created empty), for the front
        ends to say so and how to fill it; None once it holds any. Never creates the store."""
        return self.with_memory(lambda memory: memory.location if memory.count() == 0 else None)

    def memory_location(self) -> str:
        """Where the memory lives: the Chroma server's address or the embedded store's folder."""
        return self.with_memory(lambda memory: memory.location)

    # --- writing --------------------------------------------------------------------------
    def ingest(self, paths: Sequence[str | Path], progress: Callable | None = None) -> Ingested:
        """Store the incidents and postmortems in ``paths`` (files or folders); ids are content hashes, so
        ingesting the same content again adds nothing."""

        def ingest_into(memory: Memory) -> Ingested:
            report = memory.ingest_paths(paths, progress=progress)
            return Ingested(report, memory.location, memory.count())

        return self.with_memory(ingest_into)

    def remember(self, postmortem: Postmortem) -> MemoryRecord:
        """Store a finished postmortem; a newer version of the same incident's replaces the stored one."""
        return self.with_memory(lambda memory: memory.remember(postmortem))

    def reindex_memory(self, progress: Callable | None = None) -> ReindexReport:
        """Embed every record of the memory again with the embedder in use: the way back to a working memory
        after switching embedders (``pm-agent models pull`` on a memory built with the lexical fallback)."""
        return self.with_memory(lambda memory: memory.reindex(progress))

    # --- reading --------------------------------------------------------------------------
    def search_memory(
        self, query: str | None = None, subject: Incident | MemoryRecord | str | None = None, k: int = 5
    ) -> list[MemoryHit]:
        """Past incidents like ``query`` and/or ``subject`` (an incident, a record, or a stored id), best first."""
        return self.with_memory(lambda memory: memory.search(query, subject, k))

    @staticmethod
    def record_from_file(path: str | Path) -> MemoryRecord:
        """The one incident or postmortem in a file, as the memory would store it (to search by)."""
        from pm_agent.memory.sources import read_file

        records = list(read_file(Path(path)))
        if len(records) != 1:
            raise InputError(f"expected one incident or postmortem, found {len(records)}", source=str(path))
        return records[0]

    def stored_record(self, record_or_incident_id: str) -> MemoryRecord:
        """A stored incident or postmortem record, by its id or its incident's id."""
        return self.with_memory(lambda memory: memory.get_incident(record_or_incident_id))

    def stored_postmortem(self, record_or_incident_id: str) -> Postmortem:
        """A remembered postmortem, with its action items' status as tracked since."""
        return self.with_memory(lambda memory: memory.get_postmortem(record_or_incident_id))

    def patterns(self, since: dt.date | None = None) -> PatternsReport:
        """Recurring causes, services and factors, repeats, the quarterly trend and open actions."""
        return self.with_memory(lambda memory: memory.patterns(since=since))

    def memory_stats(self) -> dict[str, Any]:
        """How many records the memory holds, where, and with which embedding."""
        return self.with_memory(lambda memory: memory.stats())

    def embedding_model_files(self) -> ModelFiles:
        """The all-MiniLM-L6-v2 files the memory embeds with; a ConfigError saying how to get them when missing."""
        from pm_agent.embeddings.model_files import INSTALL_HINT, find_model_files

        files = find_model_files(self.settings.embedding_model_dir)
        if files is None:
            raise ConfigError(f"the all-MiniLM-L6-v2 model files are not available: {INSTALL_HINT}")
        return files

    # --- action items ---------------------------------------------------------------------
    def list_actions(self, *, overdue: bool = False, include_done: bool = False) -> list[TrackedAction]:
        """Action items of remembered postmortems not done yet, overdue first (only overdue ones with
        ``overdue``; done ones too with ``include_done``)."""
        return self.with_memory(lambda memory: memory.list_actions(overdue=overdue, include_done=include_done))

    def mark_action_done(self, action_id: str) -> TrackedAction:
        """Mark one remembered action item done; returns it as now tracked."""
        return self.with_memory(lambda memory: memory.mark_action_done(action_id))

    def sync_actions(self) -> list[TrackedAction]:
        """Read again, from the configured tracker, the state of each remembered action's issue."""
        from pm_agent.handback.sync import sync_action_states

        return sync_action_states(self.settings, self.with_memory)

    # --- drafting -------------------------------------------------------------------------
    def related_incidents(self, incident: Incident, k: int = 5) -> list[RelatedIncident]:
        """Past incidents like ``incident``; [] when there is no memory. An unreachable memory is a
        warning, not a failed draft, and so is one still busy after ``RELATED_WAIT_S`` in all: whether
        another process holds its file lock or another task of this one (the server's webhook worker
        remembering a draft) holds the service's memory."""
        if not self.memory_in_use():
            return []
        from pm_agent.memory import api

        deadline = time.monotonic() + api.RELATED_WAIT_S
        try:
            if not self._memory_lock.acquire(timeout=api.RELATED_WAIT_S):
                raise MemoryStoreError(
                    f"the incident memory at {self.settings.chroma_url or self.settings.memory_dir} is still in use "
                    f"by another task of this process after {api.RELATED_WAIT_S:g} s"
                )
            try:
                memory = self._opened_memory()
                left = round(max(0.0, deadline - time.monotonic()), 1)  # what the wait for the lock left
                return memory.related_for(incident, k=k, wait_s=left)
            finally:
                self._memory_lock.release()
        except MemoryStoreError as exc:
            log.warning("related incidents left out: %s", exc)
            return []
