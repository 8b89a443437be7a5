"""The service layer: every use case once, shared by the CLI and the MCP server.

A front end builds one :class:`PostmortemService` and calls it; a CLI command and an MCP
tool given the same input therefore return the same result.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from pm_agent.backends import Backend, OfflineBackend, is_offline, select_backend
from pm_agent.errors import InputError, MemoryStoreError, first_problem
from pm_agent.ingest import ReadOptions, load_incident, load_incident_text
from pm_agent.ingest.loader import parse_json, read_bytes
from pm_agent.ingest.merge import merge_files
from pm_agent.guards.limits import check_text_size
from pm_agent.models import (
    ActionItem,
    ActionLint,
    BlamelessReport,
    ChainReview,
    Fishbone,
    Incident,
    Postmortem,
    RelatedIncident,
    RubricResult,
    WhyChain,
)
from pm_agent.guards.redaction import redacted_logged
from pm_agent.guards.safe_paths import checked_input_files, read_checked
from pm_agent.settings import Settings
from pm_agent.ingest.timeparse import TimestampError, parse_zone_name

if TYPE_CHECKING:
    from pm_agent.memory import Memory
    from pm_agent.memory.actions import TrackedAction
    from pm_agent.memory.api import ReindexReport
    from pm_agent.sources.fetch import Fallback, Fetched

T = TypeVar("T")
log = logging.getLogger("pm_agent.service")


class PostmortemService:
    """pm-agent's use cases over one set of settings."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self._memory = None
        self._memory_lock = threading.Lock()

    # --- memory ----------------------------------------------------------------------------
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

    def reindex_memory(self, progress: Callable | None = None) -> ReindexReport:
        """Embed every record of the memory again with the embedder in use: the way back to a working memory
        after switching embedders (``pm-agent models pull`` on a memory built with the lexical fallback)."""
        return self.with_memory(lambda memory: memory.reindex(progress))

    def memory_in_use(self) -> bool:
        """True when a memory may hold records: a Chroma server is configured or the local store exists.
        Checked without opening the store, so drafting with no memory loads no vector database."""
        return bool(self.settings.chroma_url) or (self.settings.memory_dir / "chroma.sqlite3").is_file()

    def sync_actions(self) -> list[TrackedAction]:
        """Read again, from the configured tracker, the state of each remembered action's issue."""
        from pm_agent.handback.sync import sync_action_states

        return sync_action_states(self.settings, self.with_memory)

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

    def backend(self, name: str | None = None, *, sampling: object = None) -> Backend:
        """The model backend: ``name`` (``--backend``) or ``PM_AGENT_BACKEND``; ``auto`` picks Claude when a key
        is set, the MCP client's model when it offers ``sampling``, else the offline engine."""
        return select_backend(self.settings, override=name, sampling=sampling)

    def _resolve(self, backend: Backend | str | None) -> Backend:
        return backend if backend is not None and not isinstance(backend, str) else self.backend(backend)

    # --- incidents -------------------------------------------------------------------------
    def read_options(self, date: str | None = None, timezone: str | None = None) -> ReadOptions:
        """Reading options from user-facing strings (``--date 2024-03-01``, ``--timezone Europe/Oslo``)."""
        try:
            default_date = dt.date.fromisoformat(date) if date else None
        except ValueError:
            raise InputError(f"--date {date!r} is not a date like 2024-03-01") from None
        try:
            zone = parse_zone_name(timezone) if timezone else None
        except TimestampError as exc:
            raise InputError(str(exc)) from None
        return ReadOptions(
            default_date=default_date,
            assume_tz=zone,
            max_bytes=self.settings.max_input_bytes,
            max_field_chars=self.settings.max_field_chars,
        )

    def load(
        self, paths: Sequence[str | Path], *, date: str | None = None, timezone: str | None = None,
        roots: Sequence[Path] | None = None,
    ) -> Incident:
        """Read and merge incident files, secrets redacted (so drafts, tools, models and the memory never see them).

        With ``roots`` (the MCP tools' input roots), every file, folders expanded, must lie inside them
        and is read only if it is still the file that was checked (:mod:`pm_agent.guards.safe_paths`).
        """
        if not paths:
            raise InputError("no input files given")
        options = self.read_options(date, timezone)
        if roots is None:
            incident = load_incident(paths, options, max_events=self.settings.max_events)
        else:
            incident = load_confined([str(path) for path in paths], roots, options, max_events=self.settings.max_events)
        return redacted_logged(incident, emails=self.settings.redact_emails, where=", ".join(map(str, paths)))

    def load_text(self, text: str, *, name: str = "<input>", date: str | None = None, timezone: str | None = None) -> Incident:
        """Read incident data given inline: JSON in any supported format, or a text timeline; secrets redacted."""
        incident = load_incident_text(text, name, self.read_options(date, timezone), max_events=self.settings.max_events)
        return redacted_logged(incident, emails=self.settings.redact_emails, where=name)

    def incident_from(
        self, data: str | None = None, paths: Sequence[str] | None = None, *, date: str | None = None,
        timezone: str | None = None, roots: Sequence[Path] | None = None,
    ) -> Incident:
        """An incident from inline data or from paths (exactly one of the two); paths confined to ``roots`` when given."""
        if bool(data and data.strip()) == bool(paths):
            raise InputError("give the incident either as data (JSON or a text timeline) or as file paths, not both or neither")
        if paths:
            return self.load(paths, date=date, timezone=timezone, roots=roots)
        return self.load_text(data or "", date=date, timezone=timezone)

    def fetch_pagerduty(
        self, incident_id: str, *, slack_channel: str | None = None, fallback: Fallback | None = None, **client
    ) -> Fetched:
        """PagerDuty incident ``incident_id`` with its log entries, notes, alerts and Slack channel, merged into one
        redacted incident, and the sources that could not be read (:mod:`pm_agent.sources.fetch`). ``client``
        (``policy``, ``transport``) is for tests."""
        from pm_agent.sources.fetch import fetch_incident

        return fetch_incident(incident_id, self.settings, slack_channel=slack_channel, fallback=fallback,
                              options=self.read_options(), **client)

    def draft_fetched(self, fetched: Fetched, **options) -> Postmortem:
        """:meth:`draft` of a fetched incident, with one open question per source it was drafted without (and the
        score of the draft with them)."""
        from pm_agent.analysis.drafting import with_score
        from pm_agent.sources.fetch import with_missing_sources

        postmortem = with_missing_sources(self.draft(fetched.incident, **options), fetched.missing)
        return with_score(postmortem) if fetched.missing and postmortem.score is not None else postmortem

    # --- drafting --------------------------------------------------------------------------
    def draft(
        self,
        incident: Incident,
        *,
        roster: dict[str, str] | None = None,
        score: bool = True,
        backend: Backend | str | None = None,
        use_memory: bool = True,
    ) -> Postmortem:
        """A postmortem draft for ``incident``: the offline draft (with related past incidents from the
        memory), improved by a model backend when one is chosen."""
        steps = self.draft_steps(incident, roster=roster, score=score, backend=backend, use_memory=use_memory)
        *_, (_, postmortem) = steps
        return postmortem

    def draft_steps(
        self,
        incident: Incident,
        *,
        roster: dict[str, str] | None = None,
        score: bool = True,
        backend: Backend | str | None = None,
        use_memory: bool = True,
    ) -> Iterator[tuple[str, Postmortem]]:
        """:meth:`draft` one stage at a time: ``("timeline", offline draft)``, ``("score", scored)`` (with
        ``score``), then ``("analysis", final draft)``. A front end reports progress between stages and
        stops when the caller cancels; the last postmortem yielded is what :meth:`draft` returns."""
        from pm_agent.analysis.drafting import draft_postmortem, with_score

        related = self.related_incidents(incident) if use_memory else []
        postmortem = draft_postmortem(incident, roster=roster, score=False, related=related)
        yield "timeline", postmortem
        if score:
            postmortem = with_score(postmortem)
            yield "score", postmortem
        chosen = self._resolve(backend)
        if not is_offline(chosen):
            from pm_agent.assisted import assisted_draft

            postmortem = assisted_draft(incident, postmortem, chosen)
        yield "analysis", postmortem

    @staticmethod
    def render(postmortem: Postmortem, fmt: str = "markdown") -> str:
        """The postmortem as ``markdown`` or ``json``."""
        if fmt == "json":
            return postmortem.model_dump_json(indent=2)
        from pm_agent.render.postmortem import render_markdown

        return render_markdown(postmortem)

    # --- analysis --------------------------------------------------------------------------
    def five_whys(
        self,
        problem: str,
        incident: Incident | None = None,
        facts: list[str] | None = None,
        *,
        backend: Backend | str | None = None,
    ) -> WhyChain:
        from pm_agent.analysis.whys.chain import run_five_whys

        if not problem.strip():
            raise InputError("the problem statement is empty; say what went wrong, e.g. 'checkout returned 502s'")
        check_text_size([problem, *(facts or [])], self.settings.max_input_bytes, "problem statement with its facts")
        offline = run_five_whys(problem.strip(), incident, facts or [])
        chosen = self._resolve(backend)
        if is_offline(chosen):
            return offline
        from pm_agent.assisted import assisted_five_whys

        return assisted_five_whys(problem.strip(), incident, offline, chosen)

    def review_chain(self, steps: list[str]) -> ChainReview:
        from pm_agent.analysis.whys.review import review_chain

        check_text_size(steps, self.settings.max_input_bytes, "why chain")
        steps = [s.strip() for s in steps if s.strip()]
        if not steps:
            raise InputError("the chain is empty; give one 'because' per line")
        return review_chain(steps)

    def rewrite_blameless(self, text: str, *, backend: Backend | str | None = None) -> BlamelessReport:
        from pm_agent.analysis.blameless.rewrite import rewrite_blameless

        check_text_size(text, self.settings.max_input_bytes, "text to rewrite")
        offline = rewrite_blameless(text)
        chosen = self._resolve(backend)
        if is_offline(chosen) or not offline.original.strip():
            return offline
        from pm_agent.assisted import assisted_rewrite

        return assisted_rewrite(text, offline, chosen)

    def propose_actions(
        self, incident: Incident, roster: dict[str, str] | None = None, *, backend: Backend | str | None = None
    ) -> list[ActionItem]:
        offline = self.draft(incident, roster=roster, score=False, backend=OfflineBackend(), use_memory=False)
        chosen = self._resolve(backend)
        if is_offline(chosen):
            return offline.action_items
        from pm_agent.assisted import assisted_actions

        return assisted_actions(incident, offline, chosen).action_items

    def check_actions(self, actions: list[ActionItem]) -> list[ActionLint]:
        from pm_agent.analysis.actions.smart import lint_actions

        return lint_actions(actions)

    def fishbone(self, incident: Incident, *, fault_tree: bool = False) -> Fishbone:
        from pm_agent.analysis.causes.fishbone import build_fishbone

        draft = self.draft(incident, score=False, backend=OfflineBackend(), use_memory=False)
        return build_fishbone(draft.root_cause, draft.contributing_factors, fault_tree=fault_tree)

    def score(self, markdown: str) -> RubricResult:
        from pm_agent.analysis.rubric.scorer import score_markdown

        if not markdown.strip():
            raise InputError("the postmortem is empty")
        check_text_size(markdown, self.settings.max_input_bytes, "postmortem")
        return score_markdown(markdown)


    def judge(self, markdown: str, *, backend: Backend | str | None = None, samples: int = 3):
        """A model judge's rubric scores (median of ``samples``), reported beside the deterministic score."""
        from pm_agent.assisted import judge_rubric
        from pm_agent.errors import ConfigError

        check_text_size(markdown, self.settings.max_input_bytes, "postmortem")
        chosen = self._resolve(backend)
        if is_offline(chosen):
            raise ConfigError("the judge needs a model: set ANTHROPIC_API_KEY or pass --backend anthropic")
        if not 1 <= samples <= 9:
            raise InputError("--samples must be between 1 and 9")
        return judge_rubric(markdown, chosen, k=samples)


def parse_actions_json(text: str, source: str = "<input>") -> list[ActionItem]:
    """Action items from JSON: a list of objects (``title``, ``owner``, ``due``, ``done_when``...) or of strings."""
    data = parse_json(text, source)
    if isinstance(data, dict):
        data = data.get("action_items") or data.get("actions")
    if not isinstance(data, list):
        raise InputError("expected a list of action items (objects with a 'title', or strings)", source=source)
    from pydantic import ValidationError

    items = []
    for index, item in enumerate(data):
        if isinstance(item, dict):
            item = _common_action_fields(item, f"action [{index}]", source)
        try:
            items.append(ActionItem(title=item) if isinstance(item, str) else ActionItem.model_validate(item))
        except ValidationError as exc:
            where, problem = first_problem(exc)
            raise InputError(f"action [{index}] field {where!r}: {problem}", source=source) from None
    return items


ACTION_FIELD_NAMES = {"owner": ("owner", "assignee"), "due": ("due", "due_date", "deadline")}
"""The names trackers and teams give an action's owner and due date, read as ours (others were ignored silently)."""


def _common_action_fields(item: dict, where: str, source: str) -> dict:
    """``item`` with ``assignee`` read as ``owner`` and ``due_date``/``deadline`` as ``due``; two names for one field
    are refused rather than one of them dropped."""
    item = dict(item)
    for field, names in ACTION_FIELD_NAMES.items():
        given = [name for name in names if item.get(name) not in (None, "")]
        if len(given) > 1:
            raise InputError(f"{where} gives the {field} twice ({given[0]!r} and {given[1]!r}); keep one",
                             source=source)
        values = [item.pop(name) for name in names if name in item]
        if given:
            item[field] = next(v for v in values if v not in (None, ""))
    return item


def parse_roster(text: str, source: str = "<roster>") -> dict[str, str]:
    """A roster mapping roles or areas to people: JSON ``{"platform": "Dana Ortiz"}``."""
    data = parse_json(text, source)
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise InputError('a roster is a JSON object of role to name, e.g. {"platform": "Dana Ortiz"}', source=source)
    return {str(k): v for k, v in data.items()}


def load_confined(paths: Sequence[str], roots: Sequence[Path], options: ReadOptions, *, max_events: int) -> Incident:
    """Incident files read only from inside ``roots``: each file checked (folders expanded), then read
    through the descriptor that was checked, never by reopening its name."""
    files = checked_input_files(paths, roots)
    if not files:
        raise InputError("no incident files found", source=", ".join(paths))
    parsed = [(file.shown, read_bytes(read_checked(file, roots, options.max_bytes), file.shown, options)) for file in files]
    return merge_files(parsed, max_events=max_events)
