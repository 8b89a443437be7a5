"""The service's incident use cases: reading incidents, drafting, and the analyses (5 Whys, blameless
rewrite, actions, fishbone, score, judge). The memory's use cases are mixed in from
:mod:`pm_agent.service.memory`.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pm_agent.analysis.titling import failure_title
from pm_agent.backends import Backend, OfflineBackend, is_offline, select_backend
from pm_agent.errors import InputError
from pm_agent.guards.limits import check_text_size
from pm_agent.guards.redaction import redacted_logged
from pm_agent.guards.safe_paths import checked_input_files, read_checked
from pm_agent.ingest import ReadOptions, load_incident, load_incident_text
from pm_agent.ingest.loader import read_bytes
from pm_agent.ingest.merge import merge_files
from pm_agent.ingest.timeparse import TimestampError, parse_zone_name
from pm_agent.models import (
    ActionItem,
    ActionLint,
    BlamelessReport,
    ChainReview,
    Fishbone,
    Incident,
    Postmortem,
    RubricResult,
    WhyChain,
)
from pm_agent.service.memory import MemoryUseCases
from pm_agent.settings import Settings

if TYPE_CHECKING:
    from pm_agent.sources.fetch import Fallback, Fetched


class PostmortemService(MemoryUseCases):
    """pm-agent's use cases over one set of settings: the one door of both front ends."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self._memory = None
        self._memory_lock = threading.Lock()
        self._text_date: str | None = None
        self._text_timezone: str | None = None

    def read_texts_with(self, *, date: str | None, timezone: str | None) -> None:
        """Read every incident given as text (:meth:`load_text`) that says no ``date`` or ``timezone`` of its own
        with these (``pm-agent watch --date --timezone``: the reading of each file dropped into the folder).
        A bad date or zone is refused here, before any file is read."""
        self.read_options(date, timezone)
        self._text_date, self._text_timezone = date, timezone

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
        self,
        paths: Sequence[str | Path],
        *,
        date: str | None = None,
        timezone: str | None = None,
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
            incident = load_incident(paths, options, max_events=self.settings.max_events, title_of=failure_title)
        else:
            incident = load_confined([str(path) for path in paths], roots, options, max_events=self.settings.max_events)
        return redacted_logged(incident, emails=self.settings.redact_emails, where=", ".join(map(str, paths)))

    def load_text(
        self, text: str, *, name: str = "<input>", date: str | None = None, timezone: str | None = None
    ) -> Incident:
        """Read incident data given inline: JSON in any supported format, or a text timeline; secrets redacted."""
        options = self.read_options(date or self._text_date, timezone or self._text_timezone)
        incident = load_incident_text(text, name, options, max_events=self.settings.max_events, title_of=failure_title)
        return redacted_logged(incident, emails=self.settings.redact_emails, where=name)

    def incident_from(
        self,
        data: str | None = None,
        paths: Sequence[str] | None = None,
        *,
        date: str | None = None,
        timezone: str | None = None,
        roots: Sequence[Path] | None = None,
    ) -> Incident:
        """An incident from inline data or from paths (exactly one of the two); paths confined to ``roots`` when given."""
        if bool(data and data.strip()) == bool(paths):
            raise InputError(
                "give the incident either as data (JSON or a text timeline) or as file paths, not both or neither"
            )
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

        return fetch_incident(
            incident_id,
            self.settings,
            slack_channel=slack_channel,
            fallback=fallback,
            options=self.read_options(),
            **client,
        )

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


def load_confined(paths: Sequence[str], roots: Sequence[Path], options: ReadOptions, *, max_events: int) -> Incident:
    """Incident files read only from inside ``roots``: each file checked (folders expanded), then read
    through the descriptor that was checked, never by reopening its name."""
    files = checked_input_files(paths, roots)
    if not files:
        raise InputError("no incident files found", source=", ".join(paths))
    parsed = [
        (file.shown, read_bytes(read_checked(file, roots, options.max_bytes), file.shown, options)) for file in files
    ]
    return merge_files(parsed, max_events=max_events, title_of=failure_title)
