"""The patterns report as Markdown: one table per pattern and a Mermaid chart of the trend."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pm_agent.memory.patterns import PatternsReport, Recurring

SHOWN_IDS = 8
SHOWN_ROWS = 20


def render_markdown(report: PatternsReport) -> str:
    scope = f"since {report.since.isoformat()}" if report.since else "all time"
    lines = [
        f"# Reliability patterns ({scope})",
        "",
        f"{report.incidents} incidents ({report.undated} undated), as of {report.today.isoformat()}.",
    ]
    lines += _recurring_table("Recurring cause categories", "Cause category", report.causes)
    lines += _recurring_table("Recurring services", "Service", report.services)
    lines += _recurring_table("Recurring contributing factors", "Contributing factor", report.factors)
    lines += _repeats(report)
    lines += _trend(report)
    lines += _actions(report)
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _ids(ids: list[str]) -> str:
    shown = ", ".join(ids[:SHOWN_IDS])
    return shown + (f" (+{len(ids) - SHOWN_IDS} more)" if len(ids) > SHOWN_IDS else "")


def _recurring_table(heading: str, column: str, rows: list[Recurring]) -> list[str]:
    lines = ["", f"## {heading}", ""]
    if not rows:
        return lines + ["None recurs yet."]
    lines += [f"| {column} | Incidents | Incident ids |", "| --- | ---: | --- |"]
    lines += [f"| {_cell(r.name)} | {r.count} | {_cell(_ids(r.incidents))} |" for r in rows[:SHOWN_ROWS]]
    if len(rows) > SHOWN_ROWS:
        lines.append(f"\n{len(rows) - SHOWN_ROWS} more in the JSON report (`--json`).")
    return lines


def _repeats(report: PatternsReport) -> list[str]:
    lines = ["", "## Repeats within 90 days", ""]
    if not report.repeats:
        return lines + ["No service or cause category came back within 90 days."]
    lines += ["| Kind | Name | First | Again | Days apart |", "| --- | --- | --- | --- | ---: |"]
    lines += [
        f"| {r.kind} | {_cell(r.name)} | {_cell(r.first)} ({r.first_date}) | {_cell(r.again)} ({r.again_date}) "
        f"| {r.days_apart} |"
        for r in report.repeats[:SHOWN_ROWS]
    ]
    if len(report.repeats) > SHOWN_ROWS:
        lines.append(f"\n{len(report.repeats) - SHOWN_ROWS} more in the JSON report (`--json`).")
    return lines


def _trend(report: PatternsReport) -> list[str]:
    lines = ["", "## Trend by quarter", ""]
    if not report.quarters:
        return lines + ["No dated incidents."]
    lines += ["| Quarter | Incidents | Median time to resolve (min) |", "| --- | ---: | ---: |"]
    for q in report.quarters:
        known = q.median_resolve_minutes is not None
        median = f"{q.median_resolve_minutes:g} (of {q.with_resolve_time})" if known else "unknown"
        lines.append(f"| {q.quarter} | {q.incidents} | {median} |")
    return lines + ["", *mermaid_trend(report)]


def mermaid_trend(report: PatternsReport) -> list[str]:
    """A Mermaid bar chart of incidents per quarter."""
    quarters = report.quarters
    labels = ", ".join(f'"{q.quarter}"' for q in quarters)
    counts = ", ".join(str(q.incidents) for q in quarters)
    top = max(q.incidents for q in quarters)
    return [
        "```mermaid",
        "xychart-beta",
        '    title "Incidents per quarter"',
        f"    x-axis [{labels}]",
        f'    y-axis "Incidents" 0 --> {top + 1}',
        f"    bar [{counts}]",
        "```",
    ]


def _actions(report: PatternsReport) -> list[str]:
    lines = ["", "## Action items not completed", ""]
    if not report.tracked_actions:
        return lines + ["No action items are tracked for these incidents."]
    if not report.open_actions:
        return lines + ["Every action item is done."]
    overdue = sum(a.overdue for a in report.open_actions)
    lines += [f"{len(report.open_actions)} open, {overdue} overdue.", ""]
    lines += ["| Action | Incident | Owner | Due | Status |", "| --- | --- | --- | --- | --- |"]
    for a in report.open_actions:
        due = f"{a.due} (overdue)" if a.overdue else (str(a.due) if a.due else "no due date")
        lines.append(
            f"| {_cell(a.title)} (`{a.id}`) | {_cell(a.incident_id)} | {_cell(a.owner or 'unassigned')} "
            f"| {due} | {a.status} |"
        )
    return lines
