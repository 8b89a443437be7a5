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


@dataclass(frozen=True)
class Gate:
    """A floor on one suite figure: ``metric`` must be at least ``minimum``.

    A *substance* gate measures what a draft finds and claims against the team's own conclusions;
    ``--gates-report-only SUITE`` prints those of SUITE without letting them fail the run. An
    *optional* gate does not apply where the suite has no such figure (no case with a truth).
    """

    metric: str
    minimum: float
    label: str
    substance: bool = False
    optional: bool = False


DRAFTING_GATES: tuple[Gate, ...] = (
    Gate("weighted_average", RUBRIC_PASS_MARK, "rubric average of the drafts >= 3.5"),
    Gate("lowest_criterion", CRITERION_FLOOR, "no rubric criterion averages below 3"),
    Gate("check.no_invented_figures", 1.0, "no draft states a figure the input does not hold"),
    Gate("check.no_blame_language", 1.0, "no draft writes blame language of its own"),
)
SUBSTANCE_GATES: tuple[Gate, ...] = (
    Gate("claims_supported", 1.0, "every causal claim cites the data or is marked open", True, True),
    Gate("template_originality", 0.9, "at most 10% of analysis lines repeat another incident's", True, True),
    Gate("cause_recall_in_data", 0.9, "the draft finds >= 90% of the causes the data states", True, True),
    Gate("action_recall_in_data", 0.9, "the draft finds >= 90% of the actions the data states", True, True),
    Gate("mitigation_known", 1.0, "time to mitigate is known whenever the input states recovery", True, True),
    Gate("metric_accuracy", 0.6, "the team's stated response figures match the draft's (>= 60%)", True, True),
    Gate("matcher_agreement", 0.9, "the cause matcher agrees with >= 90% of its labelled pairs", optional=True),
)
RUBRIC_GATES: tuple[Gate, ...] = (
    Gate("pairs", 0.95, "each document outscores >= 95% of its degraded copies (metamorphic pairs)"),
    Gate("orderings", 1.0, "every expected ordering of evals/calibration holds"),
    Gate(
        "published_above_draft",
        1.0,
        "every published postmortem outscores the offline draft of its incident",
        optional=True,
    ),
)
BLAMELESS_FLOOR = 0.95
BLAMELESS_GATES: tuple[Gate, ...] = (
    Gate("precision", BLAMELESS_FLOOR, "blame detection precision >= 0.95 (labelled sentences)"),
    Gate("recall", BLAMELESS_FLOOR, "blame detection recall >= 0.95 (labelled sentences)"),
    Gate("rewrites_precision", BLAMELESS_FLOOR, "blame detection precision >= 0.95 (rewrite cases)"),
    Gate("rewrites_recall", BLAMELESS_FLOOR, "blame detection recall >= 0.95 (rewrite cases)"),
    Gate("rewrite_intact", 1.0, "no rewrite reads worse than its sentence (0 broken)"),
    Gate("rewrite_facts_kept", 1.0, "no rewrite loses a labelled fact, number or identifier (0 fact-losing)"),
    Gate("rewrite_no_residue", 1.0, "no rewrite keeps blame in other words"),
    Gate("rewritten_share", 0.8, "at least 80% of blameful sentences rewritten, not only flagged"),
)


def check_gates(
    suite: SuiteResult, gates: tuple[Gate, ...], report_only: bool = False, reported: frozenset[str] = frozenset()
) -> list[GateResult]:
    """Each gate of a suite that ran, with the figure it saw.

    An optional gate whose figure the suite lacks (no case has a truth to compare with) does not
    apply; any other missing figure fails its gate. With ``report_only`` the substance gates are
    shown but cannot fail the run, and so are the gates on the metrics ``reported`` names.
    """
    if suite.status != "ran":
        return []
    results = []
    for gate in gates:
        value = suite.metrics.get(gate.metric)
        if gate.optional and value is None:
            continue
        blocking = not (gate.substance and report_only) and gate.metric not in reported
        results.append(GateResult(suite.name, gate.metric, gate.minimum, value, gate.label, blocking=blocking))
    return results


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
