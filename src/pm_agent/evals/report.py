"""The eval report: Markdown for people, JSON for the next run to compare against.

The Markdown report has the verdict, the gates, what moved since the previous report, and per
suite a table (case by criterion), the suite's figures and its worst cases with the reason.
The JSON report holds the same figures; it carries no timestamps, so that a committed report
changes only when a figure does.
"""

from __future__ import annotations

import json
import statistics

from pm_agent import __version__
from pm_agent.evals.results import CaseResult, Change, Column, EvalOutcome, GateResult, SuiteResult, Table

REPORT_FORMAT = "pm-agent-eval-report/1"
WORST_SHOWN = 5
MARKS = {True: "✓", False: "✗", None: "–"}


def to_json(outcome: EvalOutcome, tolerance: float) -> str:
    """The whole run as JSON (``evals/report.json`` when saved)."""
    data = {
        "format": REPORT_FORMAT,
        "pm_agent_version": __version__,
        "backend": outcome.backend,
        "exit_code": outcome.exit_code,
        "verdict": outcome.verdict,
        "tolerance": tolerance,
        "harness_errors": outcome.harness_errors,
        "gates": [
            {
                "suite": g.suite,
                "metric": g.metric,
                "label": g.label,
                "minimum": g.minimum,
                "value": g.value,
                "held": g.held,
                "blocking": g.blocking,
            }
            for g in outcome.gates
        ],
        "changes": [
            {
                "suite": c.suite,
                "metric": c.metric,
                "before": c.before,
                "now": c.now,
                "delta": round(c.delta, 4),
                "tracked": c.tracked,
                "regression": c.regression,
            }
            for c in outcome.changes
        ],
        "suites": {suite.name: suite.to_json() for suite in outcome.suites},
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def to_markdown(outcome: EvalOutcome) -> str:
    """The whole run as a Markdown report (``evals/REPORT.md`` when saved)."""
    parts = [
        "# pm-agent eval report",
        _summary(outcome),
        _gates(outcome.gates),
        _changes(outcome),
    ]
    parts += [_suite(suite) for suite in outcome.suites]
    return "\n\n".join(p.rstrip() for p in parts if p) + "\n"


def _summary(outcome: EvalOutcome) -> str:
    compared = f"compared with `{outcome.previous}`" if outcome.previous else "no previous report to compare with"
    lines = [
        f"**Verdict: {outcome.verdict}** (exit status {outcome.exit_code}). Backend `{outcome.backend}`; {compared}.",
        "",
        "Regenerate with `python -m pm_agent.evals --report evals/REPORT.md` (see `evals/README.md`).",
        "",
        "| Suite | Status | Figures |",
        "|---|---|---|",
    ]
    for suite in outcome.suites:
        lines.append(f"| {suite.name} | {_status(suite)} | {_figures(suite, limit=4)} |")
    if outcome.harness_errors:
        lines += ["", "**Harness errors:**", *(f"- {e}" for e in outcome.harness_errors)]
    return "\n".join(lines)


def _status(suite: SuiteResult) -> str:
    if suite.status == "ran":
        count = len(suite.cases)
        return f"ran ({count} case{'' if count == 1 else 's'})" if suite.row_name == "Case" else "ran"
    if suite.status == "skipped":
        return "skipped: " + "; ".join(suite.notes)
    return "**harness error**"


def _figures(suite: SuiteResult, limit: int | None = None) -> str:
    names = [m for m in suite.metrics if not m.startswith(("criterion.", "check."))] or list(suite.metrics)
    shown = names[:limit] if limit else names
    return " · ".join(f"{name} {_number(suite.metrics[name])}" for name in shown) or "–"


def _gates(gates: list[GateResult]) -> str:
    if not gates:
        return "## Gates\n\n_No gate applies to the suites run._"
    lines = ["## Gates", "", "| Suite | Gate | Value | Minimum | Held |", "|---|---|---|---|---|"]
    for gate in gates:
        value = "missing" if gate.value is None else _number(gate.value)
        held = "✓ held" if gate.held else "✗ **failed**" if gate.blocking else "✗ falls short (reported only)"
        lines.append(f"| {gate.suite} | {gate.label} | {value} | {gate.minimum:g} | {held} |")
    return "\n".join(lines)


def _changes(outcome: EvalOutcome) -> str:
    if outcome.previous is None:
        return "## Changes since the previous report\n\n_This is the first report: nothing to compare._"
    if not outcome.changes:
        return "## Changes since the previous report\n\n_No figure moved._"
    lines = ["## Changes since the previous report", ""]
    ups = [c for c in outcome.changes if c.delta > 0]
    downs = [c for c in outcome.changes if c.delta < 0]
    lines.append(
        f"{len(ups)} up, {len(downs)} down, {len(outcome.regressions)} regressions "
        f"(a tracked figure down by more than {outcome.changes[0].tolerance:g})."
    )
    lines += ["", "| Suite | Figure | Before | Now | Change |", "|---|---|---|---|---|"]
    for change in sorted(outcome.changes, key=lambda c: (not c.regression, c.delta >= 0, c.suite, c.metric)):
        before, now = _number(change.before), _number(change.now)
        lines.append(f"| {change.suite} | {change.metric} | {before} | {now} | {_delta(change)} |")
    return "\n".join(lines)


def _delta(change: Change) -> str:
    arrow = "▲" if change.delta > 0 else "▼"
    text = f"{arrow} {change.delta:+.3f}"
    return f"{text} **regression**" if change.regression else text


def _suite(suite: SuiteResult) -> str:
    lines = [f"## {suite.name}: {suite.title}", ""]
    if suite.status == "error":
        return "\n".join(lines + [f"**Harness error:** {suite.error}"])
    if suite.status == "skipped":
        return "\n".join(lines + [f"_Skipped: {'; '.join(suite.notes)}._"])
    lines += [*suite.notes, "", f"Figures: {_figures(suite)}.", "", *_table(suite)]
    for table in suite.tables:
        lines += ["", f"### {table.title}", "", *_extra_table(suite, table)]
    worst = suite.worst(WORST_SHOWN)
    if worst:
        total = len(suite.failures or [c for c in suite.cases if not c.passed])
        lines += ["", f"### Worst cases ({len(worst)} of {total} that fell short)", ""]
        lines += [_worst_line(case, suite) for case in worst]
    return "\n".join(lines)


def _table(suite: SuiteResult) -> list[str]:
    """Case by criterion; with rubric criteria, the weighted score (and the judge's) follows them."""
    scored = _score_count(suite) > 0
    judged = any(case.judge for case in suite.cases)
    headers = [suite.row_name, *(_header(c) for c in suite.columns[: _score_count(suite)])]
    if scored:
        headers.append(suite.headline_name.capitalize())
    if judged:
        headers.append("Judge (median)")
    headers += [_header(c) for c in suite.columns[_score_count(suite) :]]
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for case in suite.cases:
        lines.append("| " + " | ".join(_row(case, suite, judged)) + " |")
    if len(suite.cases) > 1 and scored:
        lines.append("| " + " | ".join(_mean_row(suite, judged)) + " |")
    return lines


def _extra_table(suite: SuiteResult, table: Table) -> list[str]:
    """Case by the table's columns, with a mean (or total, for counts) row."""
    headers = [suite.row_name, *(c.name for c in table.columns)]
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for case in suite.cases:
        lines.append(
            "| " + " | ".join([case.case_id, *(_cell(case.scores.get(c.id), c) for c in table.columns)]) + " |"
        )
    summary = ["**All**"]
    for column in table.columns:
        values = [case.scores.get(column.id) for case in suite.cases]
        known = [v for v in values if v is not None]
        summary.append(str(int(sum(known))) if column.kind == "count" and known else _mean_cell(values, column))
    return [*lines, "| " + " | ".join(summary) + " |"]


def _score_count(suite: SuiteResult) -> int:
    """How many leading columns are scores shown before the headline (the rubric criteria)."""
    return sum(1 for c in suite.columns if c.kind == "score")


def _header(column: Column) -> str:
    return f"{column.name} (×{column.weight:g})" if column.weight is not None else column.name


def _row(case: CaseResult, suite: SuiteResult, judged: bool) -> list[str]:
    count = _score_count(suite)
    cells = [case.case_id]
    cells += [_cell(case.scores.get(c.id), c) for c in suite.columns[:count]]
    if count:
        cells.append("–" if case.headline is None else _number(case.headline))
    if judged:
        cells.append(_judge_cell(case))
    cells += [_cell(case.scores.get(c.id), c) for c in suite.columns[count:]]
    return cells


def _mean_row(suite: SuiteResult, judged: bool) -> list[str]:
    count = _score_count(suite)
    cells = ["**Mean**"]
    cells += [_number(_mean([c.scores.get(col.id) for c in suite.cases])) for col in suite.columns[:count]]
    cells.append(f"**{_number(_mean([c.headline for c in suite.cases]))}**")
    if judged:
        cells.append(_number(_mean([(c.judge or {}).get("weighted") for c in suite.cases])))
    cells += [_mean_cell([c.scores.get(col.id) for c in suite.cases], col) for col in suite.columns[count:]]
    return cells


def _mean_cell(values: list[float | None], column: Column) -> str:
    """The mean of the known ``values``: a percentage for a check column, "–" when none is known."""
    mean = _mean(values)
    return "–" if mean is None else f"{mean:.0%}" if column.kind == "check" else _number(mean)


def _judge_cell(case: CaseResult) -> str:
    if not case.judge:
        return "–"
    unstable = int(case.judge.get("unstable", 0))
    return _number(case.judge["weighted"]) + (f" ({unstable} unstable)" if unstable else "")


def _cell(value: float | None, column: Column) -> str:
    if column.kind == "check":
        return MARKS[None if value is None else value >= 1]
    if value is None:
        return "–"
    if column.kind == "count":
        return str(int(value))
    return _number(value)


def _worst_line(case: CaseResult, suite: SuiteResult) -> str:
    figure = (
        f" ({suite.headline_name} {_number(case.headline)})" if case.headline is not None and not suite.failures else ""
    )
    title = f" {case.title}" if case.title else ""
    reasons = "; ".join(case.reasons) or "below the pass mark"
    return f"- **{case.case_id}**{figure}{':' if title else ''}{title} — {reasons}"


def _mean(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.fmean(known) if known else None


def _number(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.2f}" if abs(value - round(value)) > 1e-9 else str(round(value))
