"""Reliability patterns across the memory: what keeps happening, and what was promised but not done.

For a reliability lead: cause categories, services and contributing factors that recur (with
counts and incident ids), repeats of the same service or cause within 90 days, the quarterly
trend (incidents and median time to resolve), and action items never completed or overdue.
Callers render it (:mod:`pm_agent.render.patterns`: Markdown tables and a Mermaid chart) or give it as JSON.

An incident stored both as incident data and as its postmortem counts once (the postmortem,
which says more, stands for it).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Iterable

from pydantic import BaseModel, Field

from pm_agent.memory.actions import TrackedAction, tracked_actions
from pm_agent.memory.bm25 import analyse
from pm_agent.memory.records import MemoryRecord

REPEAT_WINDOW_DAYS = 90
FACTOR_SAME = 0.5  # Jaccard of index terms: two factor texts at or above it are the same factor
SHOWN_REPEATS = 20


class Recurring(BaseModel):
    """A cause category, service or factor seen in more than one incident."""

    name: str
    count: int
    incidents: list[str]


class Repeat(BaseModel):
    """The same service or cause category again within the window."""

    kind: str  # "service" | "cause"
    name: str
    first: str
    first_date: dt.date
    again: str
    again_date: dt.date
    days_apart: int


class QuarterTrend(BaseModel):
    """Incidents in one quarter and how long they took to resolve."""

    quarter: str
    incidents: int
    with_resolve_time: int
    median_resolve_minutes: float | None = None


class PatternsReport(BaseModel):
    """Everything ``pm-agent memory patterns`` shows."""

    since: dt.date | None = None
    today: dt.date
    incidents: int
    undated: int
    causes: list[Recurring] = Field(default_factory=list)
    services: list[Recurring] = Field(default_factory=list)
    factors: list[Recurring] = Field(default_factory=list)
    repeats: list[Repeat] = Field(default_factory=list)
    quarters: list[QuarterTrend] = Field(default_factory=list)
    open_actions: list[TrackedAction] = Field(default_factory=list)
    tracked_actions: int = 0
    """How many action items these incidents hold, done or not: none tracked is not the same as all done."""


def build_report(records: Iterable[MemoryRecord], *, since: dt.date | None, today: dt.date) -> PatternsReport:
    """The patterns of the incidents dated on or after ``since`` (all, and undated ones too, without it)."""
    incidents = one_per_incident(records)
    if since is not None:
        incidents = [r for r in incidents if r.date and r.date >= since]
    dated = [r for r in incidents if r.date]
    actions = tracked_actions(incidents, today)
    return PatternsReport(
        since=since,
        today=today,
        incidents=len(incidents),
        undated=len(incidents) - len(dated),
        causes=recurring((r.source_id, r.causes) for r in incidents),
        services=recurring((r.source_id, _unique_casefold(r.services)) for r in incidents),
        factors=recurring_factors(incidents),
        repeats=repeats_within(dated, REPEAT_WINDOW_DAYS),
        quarters=quarterly_trend(dated),
        open_actions=[a for a in actions if a.status != "done"],
        tracked_actions=len(actions),
    )


def one_per_incident(records: Iterable[MemoryRecord]) -> list[MemoryRecord]:
    """One record per incident id, the postmortem preferred, ordered by date then id."""
    chosen: dict[str, MemoryRecord] = {}
    for record in records:
        current = chosen.get(record.source_id)
        if current is None or (current.kind != "postmortem" and record.kind == "postmortem"):
            chosen[record.source_id] = record
    return sorted(chosen.values(), key=lambda r: (r.date or dt.date.max, r.source_id))


def recurring(pairs: Iterable[tuple[str, list[str]]]) -> list[Recurring]:
    """Names held by two or more incidents, most frequent first."""
    holders: dict[str, list[str]] = defaultdict(list)
    for incident_id, names in pairs:
        for name in dict.fromkeys(names):
            holders[name].append(incident_id)
    rows = [Recurring(name=name, count=len(ids), incidents=ids) for name, ids in holders.items() if len(ids) > 1]
    return sorted(rows, key=lambda row: (-row.count, row.name))


def recurring_factors(incidents: list[MemoryRecord]) -> list[Recurring]:
    """Contributing factors stated in mostly the same words by two or more incidents."""
    groups: list[tuple[set[str], str, list[str]]] = []  # (terms, first wording, incident ids)
    for record in incidents:
        for factor in dict.fromkeys(record.contributing_factors):
            terms = set(analyse(factor))
            if not terms:
                continue
            group = next((g for g in groups if len(terms & g[0]) / len(terms | g[0]) >= FACTOR_SAME), None)
            if group is None:
                groups.append((terms, factor, [record.source_id]))
            elif record.source_id not in group[2]:
                group[2].append(record.source_id)
    rows = [Recurring(name=wording, count=len(ids), incidents=ids) for _, wording, ids in groups if len(ids) > 1]
    return sorted(rows, key=lambda row: (-row.count, row.name))


def repeats_within(dated: list[MemoryRecord], window_days: int) -> list[Repeat]:
    """Each incident that shares a service or cause with the previous one holding it, within the window."""
    out: list[Repeat] = []
    for kind, names_of in (("service", lambda r: _unique_casefold(r.services)), ("cause", lambda r: r.causes)):
        last_seen: dict[str, MemoryRecord] = {}
        for record in sorted(dated, key=lambda r: (r.date, r.source_id)):
            for name in names_of(record):
                previous = last_seen.get(name)
                if previous is not None and (record.date - previous.date).days <= window_days:
                    out.append(
                        Repeat(
                            kind=kind,
                            name=name,
                            first=previous.source_id,
                            first_date=previous.date,
                            again=record.source_id,
                            again_date=record.date,
                            days_apart=(record.date - previous.date).days,
                        )
                    )
                last_seen[name] = record
    return sorted(out, key=lambda r: (r.again_date, r.kind, r.name), reverse=True)


def quarterly_trend(dated: list[MemoryRecord]) -> list[QuarterTrend]:
    """Incident count and median time to resolve per calendar quarter, oldest first."""
    by_quarter: dict[str, list[MemoryRecord]] = defaultdict(list)
    for record in dated:
        by_quarter[f"{record.date.year}-Q{(record.date.month - 1) // 3 + 1}"].append(record)
    rows = []
    for quarter in sorted(by_quarter):
        minutes = [r.resolve_minutes for r in by_quarter[quarter] if r.resolve_minutes is not None]
        rows.append(
            QuarterTrend(
                quarter=quarter,
                incidents=len(by_quarter[quarter]),
                with_resolve_time=len(minutes),
                median_resolve_minutes=round(statistics.median(minutes), 1) if minutes else None,
            )
        )
    return rows


def _unique_casefold(names: list[str]) -> list[str]:
    seen: dict[str, str] = {}
    for name in names:
        seen.setdefault(name.casefold(), name)
    return list(seen)
