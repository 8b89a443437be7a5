"""The whole incident, fetched: PagerDuty's incident, log entries, notes and alerts, and its Slack channel.

Each answer is mapped into a shape an ingest reader already takes (the incident into pm-agent incident
JSON, notes into PagerDuty ``annotate`` log entries, alerts into incident JSON events, the channel into
a Slack export) and read by it, so that times, field limits and UTC are checked as for files, and all
of them are merged by :func:`pm_agent.ingest.merge.merge_files` into one timeline, the one merge path.
A note PagerDuty also lists as a log entry is folded into it there, with both references kept.

A source that cannot be read does not stop the fetch: it is listed in :attr:`Fetched.missing`, and the
draft asks about it (:func:`with_missing_sources`). Only the incident itself is needed; without it,
the webhook's payload stands in when there is one. Secrets are redacted before the incident is returned.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pm_agent.errors import FetchError, InputError, PmAgentError
from pm_agent.guards.redaction import redacted_logged
from pm_agent.ingest.base import ParsedFile
from pm_agent.ingest.loader import ReadOptions, read_bytes
from pm_agent.ingest.merge import merge_files
from pm_agent.ingest.timeparse import TimestampError, parse_timestamp
from pm_agent.models import Incident, OpenQuestion, Postmortem
from pm_agent.settings import Settings
from pm_agent.sources.pagerduty_event import incident_json

if TYPE_CHECKING:  # the HTTP clients are imported when a fetch is made, not by the worker that may make one
    import httpx2

    from pm_agent.backends.retry import RetryPolicy
    from pm_agent.sources.pagerduty_api import PagerDutyApi

SLACK_MARGIN = dt.timedelta(hours=1)
"""The channel is read from this long before the incident was triggered until this long after it was resolved."""


@dataclass(frozen=True)
class Missing:
    """A source the draft was written without, and why; ``retryable`` when trying again later may bring it."""

    source: str
    reason: str
    retryable: bool = True

    def question(self) -> OpenQuestion:
        return OpenQuestion(
            topic=f"missing source: {self.source}",
            question=f"The draft was written without the {self.source} ({self.reason}). What do they add to the "
            "timeline?",
        )

    def __str__(self) -> str:
        return f"{self.source}: {self.reason}"


@dataclass
class Fetched:
    """The merged incident, what could not be read, and the incident's Slack channel (for the hand-back)."""

    incident: Incident
    missing: list[Missing] = field(default_factory=list)
    slack_channel: str | None = None
    """The Slack channel id the incident's chat was read from (or would have been, had the read worked)."""

    @property
    def retry_worthwhile(self) -> bool:
        return any(missing.retryable for missing in self.missing)


@dataclass(frozen=True)
class Fallback:
    """What to draft from when the incident itself cannot be fetched: the webhook's payload as incident JSON."""

    name: str
    text: str


def fetch_incident(
    incident_id: str,
    settings: Settings,
    *,
    slack_channel: str | None = None,
    fallback: Fallback | None = None,
    options: ReadOptions | None = None,
    policy: RetryPolicy | None = None,
    transport: httpx2.BaseTransport | None = None,
) -> Fetched:
    """Read PagerDuty incident ``incident_id`` and its Slack channel into one redacted incident.

    ``slack_channel`` (an id or a link) overrides the channel the incident links to. Without the
    incident itself and without ``fallback`` this raises the :class:`FetchError`; any other source
    that fails is listed in the result's ``missing``.
    """
    from pm_agent.sources.pagerduty_api import PagerDutyApi, checked_incident_id
    from pm_agent.sources.slack_api import channel_in, checked_channel

    incident_id = checked_incident_id(incident_id)
    options = options or ReadOptions(max_bytes=settings.max_input_bytes, max_field_chars=settings.max_field_chars)
    given_channel = checked_channel(slack_channel) if slack_channel else None
    reader = _Reader(incident_id, options, settings.max_events)
    pagerduty = PagerDutyApi.from_settings(settings, policy=policy, transport=transport)
    try:
        resource = reader.incident(pagerduty, fallback)
        reader.pagerduty_history(pagerduty)
    finally:
        pagerduty.close()
    channel = given_channel or channel_in(_conference_url(resource))
    reader.slack(settings, channel, resource, policy=policy, transport=transport)
    if resource is not None:
        reader.add_incident(resource)
    incident = merge_files(reader.files, max_events=settings.max_events)
    incident = redacted_logged(incident, emails=settings.redact_emails, where=f"PagerDuty incident {incident_id}")
    return Fetched(incident=incident, missing=reader.missing, slack_channel=channel)


def with_missing_sources(postmortem: Postmortem, missing: list[Missing]) -> Postmortem:
    """The draft with one open question per source it was written without, first, so the review sees them."""
    if not missing:
        return postmortem
    questions = [m.question() for m in missing]
    return postmortem.model_copy(update={"open_questions": questions + list(postmortem.open_questions)})


class _Reader:
    """Collects the ingest readers' results for one incident, source by source, and what failed."""

    def __init__(self, incident_id: str, options: ReadOptions, max_events: int) -> None:
        self.incident_id = incident_id
        self.options = options
        self.max_events = max_events
        self.files: list[tuple[str, ParsedFile]] = []
        self.missing: list[Missing] = []
        self._incident_file: tuple[str, ParsedFile] | None = None
        self._has_log = False

    def incident(self, pagerduty: PagerDutyApi, fallback: Fallback | None) -> dict[str, Any] | None:
        try:
            return pagerduty.incident(self.incident_id)
        except FetchError as exc:
            if fallback is None:
                raise
            self.missing.append(Missing("PagerDuty incident", str(exc)))
            payload = read_bytes(fallback.text.encode("utf-8"), fallback.name, self.options)
            self.files.insert(0, (fallback.name, payload))
            return None

    def pagerduty_history(self, pagerduty: PagerDutyApi) -> None:
        """Log entries, notes and alerts, each on its own: one failing leaves the others."""
        name = f"pagerduty:{self.incident_id}"
        self._has_log = self._read(
            f"{name}/log_entries",
            "PagerDuty log entries",
            lambda: {"log_entries": pagerduty.log_entries(self.incident_id)},
        )
        self._read(
            f"{name}/notes",
            "PagerDuty notes",
            lambda: {"log_entries": [_note_entry(note) for note in pagerduty.notes(self.incident_id)]},
        )
        self._read(
            f"{name}/alerts",
            "PagerDuty alerts",
            lambda: {
                "events": [event for alert in pagerduty.alerts(self.incident_id) if (event := _alert_event(alert))]
            },
        )

    def slack(self, settings: Settings, channel: str | None, resource: dict[str, Any] | None, **client: Any) -> None:
        if channel is None:
            if settings.slack_token and resource is not None:
                self.missing.append(
                    Missing(
                        "Slack channel",
                        "the PagerDuty incident links no Slack channel in its conference bridge; pass --slack-channel",
                        retryable=False,
                    )
                )
            return
        if not settings.slack_token:
            self.missing.append(Missing(f"Slack channel {channel}", "PM_AGENT_SLACK_TOKEN is not set", retryable=False))
            return
        from pm_agent.sources.slack_api import SlackApi

        oldest, latest = _window(resource)
        slack = SlackApi.from_settings(settings, **client)
        try:
            read = None

            def export() -> dict[str, Any]:
                nonlocal read
                read = slack.read_channel(channel, oldest, latest)
                return read.export()

            self._read(f"slack:{channel}", f"Slack channel {channel}", export)
        finally:
            slack.close()
        if read is not None and read.unnamed:
            self.missing.append(Missing(f"Slack names in {channel}", read.unnamed))

    def add_incident(self, resource: dict[str, Any]) -> None:
        """The incident's own fields first (they win the merge); its triggered/resolved events only when the log
        entries, which tell the same more fully, are missing."""
        document = incident_json(resource, {"occurred_at": _resolved_at(resource)})
        if self._has_log:
            document["events"] = []
        document["notes"] = _notes(resource)
        name = f"pagerduty:{self.incident_id}"
        self.files.insert(0, (name, read_bytes(json.dumps(document).encode("utf-8"), name, self.options)))

    def _read(self, name: str, source: str, fetch) -> bool:
        """Add one source's reading; a source that fails, or would take the incident over ``PM_AGENT_MAX_EVENTS``,
        is listed as missing instead and leaves the others standing."""
        try:
            parsed = read_bytes(json.dumps(fetch()).encode("utf-8"), name, self.options)
            count = len(parsed.events) + len(parsed.undated)
            if count + sum(len(p.events) + len(p.undated) for _, p in self.files) > self.max_events:
                reason = (
                    f"its {count} events would take the incident over {self.max_events} (raise PM_AGENT_MAX_EVENTS)"
                )
                self.missing.append(Missing(source, reason, retryable=False))
                return False
            self.files.append((name, parsed))
        except (FetchError, InputError) as exc:
            self.missing.append(Missing(source, str(exc)))
            return False
        except PmAgentError as exc:  # a setting: trying again will not help until someone changes it
            self.missing.append(Missing(source, str(exc), retryable=False))
            return False
        return True


def _note_entry(note: dict[str, Any]) -> dict[str, Any]:
    """A note as the ``annotate`` log entry the PagerDuty reader takes (``Note: <content>`` by its author)."""
    return {
        "type": "annotate_log_entry",
        "created_at": note.get("created_at"),
        "agent": note.get("user"),
        "note": {"content": note.get("content") or ""},
    }


def _alert_event(alert: dict[str, Any]) -> dict[str, Any] | None:
    summary = str(alert.get("summary") or "").strip()
    if not summary or not alert.get("created_at"):
        return None
    service = alert.get("service") if isinstance(alert.get("service"), dict) else {}
    where = f" on {service['summary']}" if service.get("summary") else ""
    return {"at": alert["created_at"], "source": "alert", "text": f"Alert{where}: {summary}"}


def _conference_url(resource: dict[str, Any] | None) -> str | None:
    bridge = resource.get("conference_bridge") if isinstance(resource, dict) else None
    return str(bridge.get("conference_url") or "") if isinstance(bridge, dict) else None


def _resolved_at(resource: dict[str, Any]) -> str | None:
    if resource.get("resolved_at"):
        return str(resource["resolved_at"])
    return str(resource.get("last_status_change_at") or "") or None if resource.get("status") == "resolved" else None


def _window(resource: dict[str, Any] | None) -> tuple[float | None, float | None]:
    """Epoch seconds to read the channel between: an hour around the incident, when its times are known."""
    if resource is None:
        return None, None
    start, end = _moment(resource.get("created_at")), _moment(_resolved_at(resource))
    return (start - SLACK_MARGIN).timestamp() if start else None, (end + SLACK_MARGIN).timestamp() if end else None


def _moment(value: Any) -> dt.datetime | None:
    try:
        moment = parse_timestamp(value) if value else None
    except TimestampError:
        return None
    return moment if moment is not None and moment.tzinfo is not None else None


def _notes(resource: dict[str, Any]) -> str:
    where = str(resource.get("html_url") or "").strip()
    teams = [team["summary"] for team in resource.get("teams") or [] if isinstance(team, dict) and team.get("summary")]
    parts = ["Fetched from PagerDuty when the incident was resolved."]
    if teams:
        parts.append(f"Teams: {', '.join(teams)}.")
    if where:
        parts.append(f"PagerDuty incident: {where}")
    return " ".join(parts)
