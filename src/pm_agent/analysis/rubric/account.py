"""The account criteria of the rubric: timeline clarity and impact quantification.

Each function reads a postmortem (through its :class:`~pm_agent.analysis.rubric.reading.Reading`)
and returns a :class:`Judgement`: points with the evidence found and the concrete changes that
would raise the score. The vocabulary (section names, keyword lists) comes from the criterion's
``signals`` in ``prompts/rubric.json``. Root cause and actions live in
:mod:`pm_agent.analysis.rubric.causes_actions`.
"""

from __future__ import annotations

import datetime as dt
import itertools

from pm_agent.analysis.rubric.reading import Reading, stated_lines, without_quotes
from pm_agent.analysis.rubric.text import Judgement, Signals, figures, plural, quoted
from pm_agent.markdown.document import MarkdownPostmortem, TimelineRow

PHASES = (
    ("phase_start", "start"),
    ("phase_detection", "detection"),
    ("phase_mitigation", "mitigation"),
    ("phase_resolution", "resolution"),
)


def timeline_clarity(reading: Reading, signals: Signals) -> Judgement:
    """Timestamped entries, a stated zone, chronological order and visible phases."""
    doc = reading.doc
    j = Judgement()
    rows = reading.timeline_rows
    timed = [r for r in rows if r.timestamped]
    has_section = bool(doc.sections_for("timeline"))
    if not timed:
        j.found("no timestamped timeline entries" + (" under the Timeline heading" if has_section else ""))
        j.improve("add a timeline: one row per event with its time (YYYY-MM-DD HH:MM) in one stated time zone")
        return j
    where = "" if has_section else " (outside a Timeline section)"
    j.credit(
        1.0 if len(timed) < 4 else 1.5 if len(timed) < 8 else 2.0,
        f"timeline has {plural(len(timed), 'timestamped row')}{where}",
    )
    estimated = sum(1 for r in timed if r.approximate)
    if estimated:
        j.found(f"{plural(estimated, 'row')} with a time marked as approximate ('~', '±', 'around')")
    if len(timed) < 8:
        j.improve(
            "add the missing moments (trigger, first alert, escalation, mitigation, all clear) as timestamped rows"
        )
    _zone(doc, j)
    _order(timed, j)
    _phases(timed, signals, j)
    unknown = [r for r in rows if not r.timestamped]
    if unknown:
        j.credit(-0.5, f"{plural(len(unknown), 'row')} with an unreadable time: {quoted([r.when for r in unknown])}")
        j.improve("give every timeline row a real time, or mark the estimate (e.g. '~14:20')")
    return j


def _zone(doc: MarkdownPostmortem, j: Judgement) -> None:
    zone = doc.timeline_zone()
    if zone:
        j.credit(0.5, f"times are in {zone}")
        if zone not in ("UTC", "GMT", "Z"):
            j.improve(f"consider UTC instead of {zone}, so readers in other zones and tools agree")
    else:
        j.improve("state the time zone of the timeline (preferably UTC)")


def _order(timed: list[TimelineRow], j: Judgement) -> None:
    moments = _moments(timed)
    backwards = sum(1 for a, b in itertools.pairwise(moments) if b < a)
    if backwards:
        j.found(f"{plural(backwards, 'row')} out of chronological order")
        j.improve("put the timeline rows in chronological order")
    else:
        j.credit(0.5, "rows are in chronological order")


def _moments(rows: list[TimelineRow]) -> list[dt.datetime]:
    """Row times on a line; rows without a date take the last date seen, or roll over midnight."""
    day = dt.date(2000, 1, 1)
    moments: list[dt.datetime] = []
    for row in rows:
        day = row.date or day
        moment = dt.datetime.combine(day, row.time or dt.time())
        if not row.date and moments and moment < moments[-1] - dt.timedelta(hours=12):
            day += dt.timedelta(days=1)
            moment += dt.timedelta(days=1)
        moments.append(moment)
    return moments


def _phases(timed: list[TimelineRow], signals: Signals, j: Judgement) -> None:
    text = "\n".join(r.text for r in timed)
    seen = [name for key, name in PHASES if signals.occurs(key, text)]
    missing = [name for _, name in PHASES if name not in seen]
    if seen:
        j.credit(0.25 * len(seen), f"phases visible: {', '.join(seen)}")
    if missing:
        j.improve(f"make the {' and '.join(missing)} visible in the timeline")


def impact_quantification(reading: Reading, signals: Signals) -> Judgement:
    """Numeric figures by kind in the impact and summary text, and a dedicated impact section."""
    doc = reading.doc
    j = Judgement()
    text = _impact_text(doc, signals)
    found = figures(text, signals)
    count = sum(len(v) for v in found.values())
    # an impact section that only asks ('How many of the 4 regions ...?') is an open item, not a section
    stated_impact = without_quotes(stated_lines(doc.field("impact")))
    has_section = bool(reading.of("impact")) or bool(figures(stated_impact, signals))
    words = signals.found("qualitative", text) or (["impact section"] if has_section else [])
    if not found and not words:
        j.found("impact is not described")
        j.improve("add an Impact section: who was affected, how many, for how long, and how badly")
        return j
    j.credit(1.0, f"impact described in words ({quoted(words, 4)})" if words else None)
    if found:
        values = [v for kind in found.values() for v in kind]
        j.credit(
            0.5 * min(len(found), 4) + 0.25 * min(len(found), 3),
            f"impact states {plural(count, 'figure')} ({', '.join(sorted(found))}): {quoted(values, 5, 30)}",
        )
    else:
        j.found("no impact figures")
    if has_section:
        j.credit(0.5, "a dedicated impact section")
    else:
        j.improve("add a dedicated Impact section")
    severity = signals.found("severity_terms", text)
    if severity:
        j.found(f"severity stated ({quoted(severity, 2)})")
    _impact_advice(found, j)
    return j


def _impact_text(doc: MarkdownPostmortem, signals: Signals) -> str:
    keys = signals.phrases("fact_keys")
    facts = [f"{k}: {v}" for k, v in doc.facts.items() if any(key in k for key in keys)]
    return without_quotes(stated_lines("\n".join([doc.field("impact"), doc.field("summary"), doc.preamble(), *facts])))


def _impact_advice(found: dict[str, list[str]], j: Judgement) -> None:
    if "affected" not in found and "share" not in found:
        j.improve("state how many users or customers were affected (a count or a share)")
    if "duration" not in found:
        j.improve("state how long users saw impact (first to last failing request)")
    if not {"volume", "share"} & set(found):
        j.improve("quantify how badly: failed requests, error rate or lost orders")
    if not {"money", "sla", "support"} & set(found):
        j.improve("state the business consequence: SLA/SLO breach, revenue, support tickets")
