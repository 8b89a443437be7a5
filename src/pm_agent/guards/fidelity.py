"""Fidelity checks: a draft may state only numbers and times that the input supports.

Supported means: written in the input, a component of an input time (in UTC), derived from
input times by the draft itself (metrics, due dates), part of a source reference (a file
name or ``line 12``: provenance, not a claim), or shown with a related past incident from the
memory (its id, title, date and match score: that record's own data). The rubric section is the scorer's own output
and is not checked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pm_agent.ingest.timeparse import format_minutes, format_utc
from pm_agent.models import Incident, Postmortem
from pm_agent.render.postmortem import SCORE_HEADING

NUMBER = re.compile(r"(?<![A-Za-z0-9_.])\d+(?:[.,]\d+)*(?![A-Za-z0-9_])")


def numbers_in(text: str) -> set[str]:
    """Numbers in ``text``, normalised (``3,400`` → ``3400``, ``08`` → ``8``); identifiers like ``A1`` excluded."""
    return {_normalise(m.group(0)) for m in NUMBER.finditer(text)}


def _normalise(token: str) -> str:
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", token):
        token = token.replace(",", "")
    token = token.replace(",", ".")
    if "." in token:
        whole, _, fraction = token.partition(".")
        fraction = fraction.rstrip("0")
        token = f"{int(whole)}.{fraction}" if fraction else str(int(whole))
    else:
        token = str(int(token))
    return token


def supported_numbers(incident: Incident, postmortem: Postmortem | None = None) -> set[str]:
    """Every number a faithful draft of ``incident`` may contain."""
    supported: set[str] = set()
    for text in _input_texts(incident):
        supported |= numbers_in(text)
        supported |= {part for n in numbers_in(text) for part in n.split(".")}
    for moment in _input_times(incident):
        supported |= numbers_in(format_utc(moment)) | numbers_in(moment.isoformat())
    if postmortem is not None:
        for metric in postmortem.metrics:
            if metric.minutes is not None:
                supported |= numbers_in(format_minutes(metric.minutes))
        for action in postmortem.action_items:
            if action.due:
                supported |= numbers_in(action.due.isoformat())
        if postmortem.date:
            supported |= numbers_in(postmortem.date.isoformat())
        for figure in postmortem.impact.figures():
            supported |= numbers_in(str(figure.ref or ""))
        for related in postmortem.related_incidents:  # the memory's records: their own data, shown with its score
            supported |= numbers_in(f"{related.shown_id} {related.title} {related.score:.2f} {related.date or ''}")
            supported |= numbers_in(" ".join(related.why))
    return supported


def unsupported_numbers(markdown: str, incident: Incident, postmortem: Postmortem | None = None) -> list[str]:
    """Numbers in the draft that the input does not support, sorted; empty for a faithful draft."""
    body = markdown.split(f"## {SCORE_HEADING}", 1)[0]
    return sorted(numbers_in(body) - supported_numbers(incident, postmortem), key=lambda n: float(n))


def _input_texts(incident: Incident) -> Iterable[str]:
    yield incident.title
    yield incident.id
    yield incident.severity or ""
    yield incident.notes
    yield from incident.services
    yield from incident.sources
    for event in incident.events:
        yield event.text
        yield event.actor or ""
        yield from (str(ref) for ref in event.refs)
    for undated in incident.undated_events:
        yield undated.text
        yield undated.time_text
    for figure in incident.impact.figures():
        yield figure.quote
        yield str(figure.ref or "")


def _input_times(incident: Incident):
    for name in ("started_at", "detected_at", "acknowledged_at", "mitigated_at", "resolved_at"):
        if getattr(incident, name):
            yield getattr(incident, name)
    for event in incident.events:
        yield event.at
