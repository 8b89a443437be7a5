"""Quoting the input: every sentence the analysis writes about the data cites an event this way.

``cite(event)`` gives ``at 2021-06-22 08:21 UTC: "VPC CNI replaced by the pipeline"``: the time in
the offset the input used and a verbatim excerpt, with a person's name replaced by a role. The
form is the one :mod:`pm_agent.analysis.claims` checks, so a claim that cites this way can be
verified against the incident.
"""

from __future__ import annotations

import datetime as dt
import re

from pm_agent.models import Evidence, TimelineEvent, UndatedEvent

EXCERPT_LIMIT = 200
SENTENCE_END_RE = re.compile(r"(?<=[.!?])\s+|\n+")
HANDLE_RE = re.compile(r"@[A-Za-z0-9_.-]+")
STAND_IN = "a team member"
SYSTEM_ACTOR_RE = re.compile(
    r"(?:\b|_)(?:bot|ci|cd|cron|pipeline|automation|system|scheduler|monitor(?:ing)?|alert(?:manager|s)?|"
    r"pagerduty|opsgenie|datadog|grafana|prometheus|nagios|sentry|new\s?relic|statuspage|github|gitlab|"
    r"jenkins|argo(?:cd)?|spinnaker|terraform|kubernetes|k8s|slack|jira|aws|gcp|azure|cloudwatch)(?:\b|_)",
    re.IGNORECASE,
)


def when(moment: dt.datetime) -> str:
    """``2021-06-22 08:21 UTC``, or ``2019-11-30 08:24 (UTC+01:00)``: the offset the input used."""
    stamp = moment.strftime("%Y-%m-%d %H:%M:%S" if moment.second else "%Y-%m-%d %H:%M")
    offset = moment.utcoffset()
    if not offset:
        return f"{stamp} UTC"
    return f"{stamp} (UTC{moment.isoformat()[-6:]})"


def excerpt(text: str, focus: re.Pattern[str] | None = None, limit: int = EXCERPT_LIMIT) -> str:
    """A verbatim piece of ``text``: all of it when short, else the sentence ``focus`` matches, else the
    first sentence; cut at a word boundary."""
    whole = text.strip()
    if len(whole) <= limit:
        return whole
    sentences = [s.strip() for s in SENTENCE_END_RE.split(whole) if s.strip()]
    focused = next((s for s in sentences if focus.search(s)), None) if focus is not None else None
    chosen = focused or (sentences[0] if sentences else whole)
    if len(chosen) <= limit:
        return chosen
    cut = chosen[:limit]
    return cut[: cut.rfind(" ")].rstrip(" ,;:") if " " in cut else cut


def is_system_actor(actor: str) -> bool:
    """True for "PagerDuty", "deploy-bot", "github-actions", "Alertmanager"; false for "dana.ortiz"."""
    return bool(SYSTEM_ACTOR_RE.search(actor))


def quote(event: TimelineEvent | UndatedEvent, focus: re.Pattern[str] | None = None) -> str:
    """The event's excerpt for a sentence we write, with people's names replaced by a role.

    Only a person's name is replaced, and only as a whole word: a tool that acts ("PagerDuty",
    "deploy-bot") stays named, and a name inside another word is left alone.
    """
    text = excerpt(event.text, focus)
    actor = (getattr(event, "actor", None) or "").strip()
    if actor and not is_system_actor(actor):
        name = re.compile(rf"(?<![\w@.-]){re.escape(actor)}(?![\w-])", re.IGNORECASE)
        text = name.sub(STAND_IN, text)
    return HANDLE_RE.sub(STAND_IN, text).rstrip(".").replace('"', "'")


def cite(event: TimelineEvent | UndatedEvent, focus: re.Pattern[str] | None = None) -> str:
    """``at 2021-06-22 08:21 UTC: "VPC CNI replaced by the pipeline"``; an undated event by its stated time."""
    if isinstance(event, UndatedEvent):
        stated = f', "{event.time_text}"' if event.time_text else ""
        return f'(undated{stated}): "{quote(event, focus)}"'
    return f'at {when(event.at)}: "{quote(event, focus)}"'


def evidence(event: TimelineEvent, focus: re.Pattern[str] | None = None) -> Evidence:
    """Structured evidence for a why-step: the event's time, source and excerpt."""
    return Evidence(at=event.at, source=event.source, excerpt=quote(event, focus))
