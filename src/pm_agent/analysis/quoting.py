"""Quoting the input: every sentence the analysis writes about the data cites an event one of two ways.

``said(event)`` restates it as a sentence of the draft with its source and time: ``VPC CNI replaced by
the pipeline (deploy, 2021-06-22 08:21 UTC)``; the statements about causes, factors and lessons use
it, so they read as a postmortem reads. ``cite(event)`` quotes it: ``at 2021-06-22 08:21 UTC: "VPC
CNI replaced by the pipeline"``; references (what an action addresses, when it was done) use it.
Both keep the offset the input used and replace a person's name by a role, and both are forms
:mod:`pm_agent.analysis.claims` verifies against the incident.
"""

from __future__ import annotations

import datetime as dt
import re

from pm_agent.analysis.casing import sentence_case
from pm_agent.models import Evidence, TimelineEvent, UndatedEvent

EXCERPT_LIMIT = 300
SENTENCE_END_RE = re.compile(r"(?<=[.!?])\s+|\n+")
HANDLE_RE = re.compile(r"@[A-Za-z0-9_.-]+")
STAND_IN = "a team member"
NOTES = "the incident notes"
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
    sentences = sentences_of(whole)
    focused = next((s for s in sentences if focus.search(s)), None) if focus is not None else None
    chosen = focused or (sentences[0] if sentences else whole)
    if len(chosen) <= limit:
        return chosen
    cut = chosen[:limit]
    return cut[: cut.rfind(" ")].rstrip(" ,;:") if " " in cut else cut


def sentences_of(text: str) -> list[str]:
    """The sentences and lines of ``text``, stripped."""
    return [s.strip() for s in SENTENCE_END_RE.split(text) if s.strip()]


def shorten(text: str, limit: int = 60) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis: for the basis of a key time."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


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
    """``at 2021-06-22 08:21 UTC: "VPC CNI replaced by the pipeline"``; an undated event by its stated time, a sentence
    of the notes as ``in the incident notes: "..."``."""
    if isinstance(event, UndatedEvent) and event.time_text == NOTES:
        return f'in {NOTES}: "{quote(event, focus)}"'
    if isinstance(event, UndatedEvent):
        stated = f', "{event.time_text}"' if event.time_text else ""
        return f'(undated{stated}): "{quote(event, focus)}"'
    return f'at {when(event.at)}: "{quote(event, focus)}"'


def evidence(event: TimelineEvent, focus: re.Pattern[str] | None = None) -> Evidence:
    """Structured evidence for a why-step: the event's time, source and excerpt."""
    return Evidence(at=event.at, source=event.source, excerpt=quote(event, focus))


def ref(event: TimelineEvent | UndatedEvent) -> str:
    """``(chat, 2021-06-22 08:21 UTC)``: where a restated event comes from; ``(note, undated "14:??")`` without a time,
    ``(note, the incident notes)`` for a sentence of the notes."""
    if isinstance(event, UndatedEvent) and event.time_text == NOTES:
        return f"({event.source}, {NOTES})"
    if isinstance(event, UndatedEvent):
        stated = f' "{event.time_text}"' if event.time_text else ""
        return f"({event.source}, undated{stated})"
    return f"({event.source}, {when(event.at)})"


def said(event: TimelineEvent | UndatedEvent, focus: re.Pattern[str] | None = None) -> str:
    """The event's words as a sentence of the draft, with where they come from: ``Target group reattached to the
    load balancer (deploy, 2021-07-02 07:42 UTC)``. Used where the draft states what the data says; the claims
    check verifies that the sentence's words are the event's."""
    text = sentence_case(quote(event, focus).strip().rstrip(".;:,"))  # "orders_v2", "kubectl", "iOS" keep their case
    return f"{text} {ref(event)}"
