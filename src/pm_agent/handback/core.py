"""Handing a written draft back: its open action items filed in the tracker, the links written into the draft and
the memory, and a short summary posted to the incident's Slack channel.

Only what is configured happens: with no tracker and no Slack token, nothing is sent anywhere.
Each step is idempotent: an action is filed once per incident (the ledger, then a marker search
in the tracker), and a summary is posted once per draft version, however often the same incident
is delivered or drafted again. A step that fails is reported, never raised: the draft stays as
written, and the caller keeps the hand-back to try again (:mod:`pm_agent.handback.pending`).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from pm_agent.backends.retry import RetryPolicy
from pm_agent.errors import PmAgentError
from pm_agent.guards.files import write_atomic
from pm_agent.guards.redaction import redact
from pm_agent.handback.http import DEFAULT_POLICY
from pm_agent.handback.ledger import FOLDER, FiledIssue, IncidentLedger, Ledger, action_key, marker
from pm_agent.handback.slack import SlackChannel, configured_slack, summary_text
from pm_agent.handback.trackers import IssueText, Tracker, configured_tracker, issue_text
from pm_agent.models import Postmortem
from pm_agent.settings import Settings

if TYPE_CHECKING:
    from pm_agent.memory import Memory

log = logging.getLogger("pm_agent.handback")
MemoryAccess = Callable[[Callable[["Memory"], object]], object]
"""How to reach the incident memory: :meth:`PostmortemService.with_memory`, which serialises its use."""


class LinkedAction(BaseModel):
    """An action item and the issue it has in the tracker."""

    action_id: str
    title: str
    issue: str = Field(description="The issue's key in the tracker: #12, OPS-7.")
    url: str
    state: str
    filed_now: bool = Field(default=False, description="True when this hand-back created the issue.")


class HandBackReport(BaseModel):
    """What one hand-back did, and what it could not do (each problem in one line)."""

    incident_id: str
    configured: bool = Field(default=False, description="False when no tracker and no Slack token are set.")
    tracker: str | None = None
    actions: list[LinkedAction] = Field(default_factory=list)
    slack_channel: str | None = None
    slack_ts: str | None = Field(default=None, description="The summary's message ts, when posted by this call.")
    slack_already_posted: bool = False
    drafts_updated: list[str] = Field(default_factory=list)
    problems: list[str] = Field(default_factory=list, description="What failed and is worth trying again.")
    notes: list[str] = Field(default_factory=list, description="What was left out on purpose (no Slack channel).")

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def filed(self) -> list[LinkedAction]:
        return [action for action in self.actions if action.filed_now]


def hand_back(
    postmortem: Postmortem,
    *,
    settings: Settings,
    channel: str | None,
    draft_paths: list[Path],
    memory: MemoryAccess | None = None,
    policy: RetryPolicy = DEFAULT_POLICY,
) -> HandBackReport:
    """Hand a written draft back to the team, as configured; what fails is listed in the report, never raised.

    ``channel`` is the incident's Slack channel (else ``PM_AGENT_SLACK_CHANNEL``), ``draft_paths`` the
    draft's ``.md``/``.json`` files (written again with the issue links), ``memory`` the way to the
    incident memory that remembers the draft (its tracked actions get the links too).
    """
    report = HandBackReport(incident_id=postmortem.incident_id)
    tracker, slack = _configured(settings, report, policy)
    channel = channel or settings.slack_channel
    if tracker is None and slack is None:
        return report
    report.configured = True
    ledger = Ledger(ledger_folder(settings, draft_paths))
    try:
        with ledger.held(postmortem.incident_id) as book:
            if tracker is not None:
                report.tracker = tracker.name
                postmortem = _file_actions(
                    postmortem,
                    tracker,
                    book,
                    ledger,
                    report,
                    _draft_location(draft_paths),
                    emails=settings.redact_emails,
                )
                _write_links(postmortem, draft_paths, memory, report)
            if slack is not None:
                _post_summary(
                    postmortem,
                    slack,
                    channel,
                    book,
                    ledger,
                    report,
                    _draft_location(draft_paths),
                    emails=settings.redact_emails,
                )
    except (PmAgentError, OSError) as exc:  # the ledger folder cannot be written: nothing can be kept track of
        report.problems.append(f"the hand-back ledger: {exc}")
    for problem in report.problems:
        log.warning("handing %s back: %s", postmortem.incident_id, problem)
    for note in report.notes:
        log.info("handing %s back: %s", postmortem.incident_id, note)
    return report


def ledger_folder(settings: Settings, draft_paths: list[Path]) -> Path:
    """``.handback`` beside the drafts (in the output folder)."""
    return (draft_paths[0].parent if draft_paths else settings.output_dir) / FOLDER


def _configured(
    settings: Settings, report: HandBackReport, policy: RetryPolicy
) -> tuple[Tracker | None, SlackChannel | None]:
    tracker = None
    try:
        tracker = configured_tracker(settings, policy)
    except PmAgentError as exc:
        report.problems.append(str(exc))
        report.configured = True
    return tracker, configured_slack(settings, policy)


def _draft_location(draft_paths: list[Path]) -> str:
    markdown = [path for path in draft_paths if path.suffix == ".md"]
    return str((markdown or draft_paths or [""])[0])


# --- the tracker ---------------------------------------------------------------------------------------------------


def _file_actions(
    postmortem: Postmortem,
    tracker: Tracker,
    book: IncidentLedger,
    ledger: Ledger,
    report: HandBackReport,
    draft: str,
    *,
    emails: bool,
) -> Postmortem:
    """The postmortem with a link on every action that has an issue: found in the ledger, found in the tracker by
    its marker, or filed now (open actions only). Stops at the first failure, keeping what was filed."""
    items = []
    failed = False
    for item in postmortem.action_items:
        key = action_key(item.title)
        issue = book.issues.get(key)
        filed_now = False
        if issue is None and item.status != "done" and not failed:
            try:
                issue, filed_now = _find_or_file(postmortem, item, key, tracker, draft, emails=emails)
            except PmAgentError as exc:
                report.problems.append(f"{tracker.name}: {exc}")
                failed = True  # the next action would most likely fail the same way: leave them for the retry
            if issue is not None:
                book.issues[key] = issue
                ledger.save(book)
        if issue is not None:
            item = item.model_copy(update={"tracker_url": issue.url, "tracker_state": issue.state})
            report.actions.append(
                LinkedAction(
                    action_id=item.id,
                    title=item.title,
                    issue=issue.key,
                    url=issue.url,
                    state=issue.state,
                    filed_now=filed_now,
                )
            )
        items.append(item)
    return postmortem.model_copy(update={"action_items": items})


def _find_or_file(
    postmortem: Postmortem, item, key: str, tracker: Tracker, draft: str, *, emails: bool
) -> tuple[FiledIssue, bool]:
    mark = marker(postmortem.incident_id, key)
    found = tracker.find(mark)
    if found is not None:
        return found, False
    text = issue_text(item, postmortem.incident_id, postmortem.title, draft, mark)
    redacted = IssueText(
        title=redact(text.title, emails=emails).text,
        lines=[line if line == mark else redact(line, emails=emails).text for line in text.lines],
    )
    return tracker.create(redacted, mark), True


def _write_links(
    postmortem: Postmortem, draft_paths: list[Path], memory: MemoryAccess | None, report: HandBackReport
) -> None:
    """Write the draft files again with the links, and give the memory's tracked actions the same links."""
    if not report.actions:
        return
    from pm_agent.render.postmortem import render_markdown

    for path in draft_paths:
        text = {".md": render_markdown, ".json": lambda pm: pm.model_dump_json(indent=2)}.get(path.suffix)
        if text is None:
            continue
        try:
            write_atomic(path, text(postmortem))
            report.drafts_updated.append(str(path))
        except OSError as exc:
            report.problems.append(f"{path}: the issue links could not be written into the draft ({exc.strerror})")
    if memory is None:
        return
    links = {item.title: (item.tracker_url, item.tracker_state) for item in postmortem.action_items if item.tracker_url}
    try:
        memory(lambda store: store.link_actions(postmortem.incident_id, links))
    except PmAgentError as exc:
        report.problems.append(f"the memory: the issue links could not be stored ({exc})")


# --- Slack ---------------------------------------------------------------------------------------------------------


def draft_version(postmortem: Postmortem) -> str:
    """A hash of the draft's content, links aside: the summary is posted once per version."""
    items = [item.model_copy(update={"tracker_url": None, "tracker_state": None}) for item in postmortem.action_items]
    content = postmortem.model_copy(update={"action_items": items}).model_dump_json(exclude={"usage"})
    return hashlib.sha256(content.encode("utf-8")).hexdigest()[:16]


def _post_summary(
    postmortem: Postmortem,
    slack: SlackChannel,
    channel: str | None,
    book: IncidentLedger,
    ledger: Ledger,
    report: HandBackReport,
    draft: str,
    *,
    emails: bool,
) -> None:
    if not channel:
        report.notes.append(
            "Slack: no summary posted: the incident names no channel and PM_AGENT_SLACK_CHANNEL is unset"
        )
        return
    report.slack_channel = channel
    version = draft_version(postmortem)
    if version in book.slack_posts:
        report.slack_already_posted = True
        return
    try:
        report.slack_ts = slack.post(channel, summary_text(postmortem, draft, emails=emails))
    except PmAgentError as exc:
        report.problems.append(f"Slack: {exc}")
        return
    book.slack_posts[version] = report.slack_ts or "posted"
    ledger.save(book)
