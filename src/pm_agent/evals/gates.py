"""Quality gates and the regression check against the previous saved report.

A gate is a floor on one suite figure. The regression check compares every *tracked* figure
with the previous report's: a drop of more than ``TOLERANCE`` is a regression. Either one
failing makes the run's exit status 1 (quality fell short); the harness failing is 2.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pm_agent.evals.cases import EvalError
from pm_agent.evals.results import Change, GateResult, SuiteResult

TOLERANCE = 0.05
NOISE = 0.005  # smaller moves are not reported as changes
RUBRIC_PASS_MARK = 3.5
CRITERION_FLOOR = 3.0
RATE_FLOOR = 0.9


@dataclass(frozen=True)
class Gate:
    """A floor on one suite figure: ``metric`` must be at least ``minimum``."""

    metric: str
    minimum: float
    label: str


DRAFTING_GATES: tuple[Gate, ...] = (
    Gate("weighted_average", RUBRIC_PASS_MARK, "rubric average of the drafts >= 3.5"),
    Gate("lowest_criterion", CRITERION_FLOOR, "no rubric criterion averages below 3"),
    Gate("check.no_invented_figures", 1.0, "no draft states a figure the input does not hold"),
    Gate("check.no_blame_language", 1.0, "no draft writes blame language of its own"),
)
BLAMELESS_GATES: tuple[Gate, ...] = (
    Gate("precision", RATE_FLOOR, "blame detection precision >= 0.9"),
    Gate("recall", RATE_FLOOR, "blame detection recall >= 0.9"),
)


def check_gates(suite: SuiteResult, gates: tuple[Gate, ...]) -> list[GateResult]:
    """Each gate of a suite that ran, with the figure it saw (None when the suite lacks it)."""
    if suite.status != "ran":
        return []
    return [GateResult(suite.name, g.metric, g.minimum, suite.metrics.get(g.metric), g.label) for g in gates]


def load_previous(path: Path | None) -> dict | None:
    """The previous saved JSON report, or None when there is none yet."""
    if path is None or not Path(path).is_file():
        return None
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise EvalError(f"{path}: the previous report cannot be read ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("suites"), dict):
        raise EvalError(f"{path}: not a pm-agent eval report (no 'suites' object)")
    return data


def compare(suites: list[SuiteResult], previous: dict | None, tolerance: float = TOLERANCE) -> list[Change]:
    """The figures that moved since ``previous``: suite metrics, then each case's headline."""
    if previous is None:
        return []
    changes: list[Change] = []
    for suite in suites:
        before = previous["suites"].get(suite.name)
        if suite.status != "ran" or not isinstance(before, dict) or before.get("status") != "ran":
            continue
        changes += _metric_changes(suite, before, tolerance)
        changes += _case_changes(suite, before, tolerance)
    return changes


def _metric_changes(suite: SuiteResult, before: dict, tolerance: float) -> list[Change]:
    old = before.get("metrics") or {}
    out = []
    for name, now in suite.metrics.items():
        was = old.get(name)
        if isinstance(was, int | float) and abs(now - was) >= NOISE:
            out.append(Change(suite.name, name, float(was), now, name in suite.tracked, tolerance))
    return out


def _case_changes(suite: SuiteResult, before: dict, tolerance: float) -> list[Change]:
    old = {c.get("id"): c.get("headline") for c in before.get("cases") or [] if isinstance(c, dict)}
    out = []
    for case in suite.cases:
        was = old.get(case.case_id)
        if case.headline is not None and isinstance(was, int | float) and abs(case.headline - was) >= NOISE:
            out.append(Change(suite.name, f"case {case.case_id}", float(was), case.headline, False, tolerance))
    return out
