"""The drafting suites: draft each case, score it with the rubric, run the fidelity checks.

The score is the project's one rubric (``prompts/rubric.json``) applied to the rendered draft,
exactly what ``pm-agent score`` prints for it. The fidelity checks compare the draft with its
input (see :mod:`pm_agent.evals.checks`). With a model backend, the model rewrites the draft
and a judge scores it k times; the judge's medians are reported beside the deterministic
score and never replace it.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from pm_agent.backends import OfflineBackend
from pm_agent.errors import PmAgentError
from pm_agent.evals.cases import CaseError, EvalCase, EvalError, default_cases_dir, load_cases, real_incident_cases
from pm_agent.evals.checks import CHECKS, CheckOutcome, Draft, run_checks
from pm_agent.evals.context import RunContext
from pm_agent.evals.gates import CRITERION_FLOOR, RUBRIC_PASS_MARK
from pm_agent.evals.results import CaseResult, Column, SuiteResult
from pm_agent.models import RubricResult
from pm_agent.service import PostmortemService

DRAFTING_TITLE = "Drafting: the project's cases"
REAL_TITLE = "Drafting: real public incidents (../shared/data)"


@dataclass(frozen=True)
class GradedDraft:
    """One case drafted and graded: the rubric result, the checks, and the judge when there is one."""

    case: EvalCase
    rubric: RubricResult
    checks: dict[str, CheckOutcome]
    judge: dict[str, float] | None = None


def run_drafting(ctx: RunContext) -> SuiteResult:
    """The project's cases (or the user's, with ``--cases``)."""
    folder = ctx.cases_dir or default_cases_dir()
    if folder is None:
        raise EvalError("no cases to draft: pass --cases DIR (evals/cases ships with the source checkout only)")
    cases = load_cases(folder, source="user" if ctx.cases_dir else "project")
    return drafting_suite("drafting", DRAFTING_TITLE, cases, ctx)


def run_real_incidents(ctx: RunContext) -> SuiteResult:
    """The real incidents of ``../shared/data/fulltext``; skipped where that folder is absent."""
    cases = real_incident_cases(ctx.shared_data)
    if not cases:
        return SuiteResult.skipped("real-incidents", REAL_TITLE, f"{ctx.shared_data / 'fulltext'} is not present")
    return drafting_suite("real-incidents", REAL_TITLE, cases, ctx)


def drafting_suite(name: str, title: str, cases: list[EvalCase], ctx: RunContext) -> SuiteResult:
    """Draft and grade every case; the table is case by rubric criterion and check."""
    service = PostmortemService()
    graded = [grade(case, service, ctx) for case in cases]
    criteria = graded[0].rubric.criteria
    columns = [Column(c.id, c.name, "score", c.weight) for c in criteria]
    columns += [Column(check.id, check.name, "check") for check in CHECKS]
    rows = [case_row(g) for g in graded]
    metrics = suite_metrics(graded, rows)
    tracked = ("weighted_average", "lowest_criterion", *(f"check.{check.id}" for check in CHECKS))
    notes = [f"{len(cases)} cases; rubric pass mark {graded[0].rubric.pass_mark:g}, criterion floor {CRITERION_FLOOR:g}."]
    if ctx.model is not None:
        notes.append(
            f"Drafts rewritten by the {ctx.backend} backend; judge medians of {ctx.judge_samples} samples beside the rubric."
        )
    return SuiteResult(
        name=name, title=title, columns=columns, cases=rows, metrics=metrics,
        tracked=tuple(t for t in tracked if t in metrics), headline_name="weighted", notes=notes,
    )


def grade(case: EvalCase, service: PostmortemService, ctx: RunContext) -> GradedDraft:
    """Draft one case, render it, score it with the rubric, check it, and judge it with a model backend.

    The backend is always explicit: offline means offline even where ``ANTHROPIC_API_KEY`` is set.
    """
    incident = _load(case, service)
    postmortem = service.draft(incident, score=False, backend=ctx.model or OfflineBackend())
    _check_author(case, postmortem, ctx)
    markdown = service.render(postmortem)
    rubric = service.score(markdown)
    checks = run_checks(case, Draft(incident, postmortem, markdown))
    judge = _judge(case, markdown, service, ctx) if ctx.model is not None else None
    return GradedDraft(case, rubric, checks, judge)


def case_row(graded: GradedDraft) -> CaseResult:
    """A case's row: criterion scores, check results (1 pass, 0 fail, None n/a), and why it fell short."""
    scores: dict[str, float | None] = {c.id: c.score for c in graded.rubric.criteria}
    for check_id, outcome in graded.checks.items():
        scores[check_id] = None if outcome.passed is None else float(outcome.passed)
    reasons = []
    if graded.rubric.weighted_average < RUBRIC_PASS_MARK:
        reasons.append(f"rubric {graded.rubric.weighted_average:.2f} is below {RUBRIC_PASS_MARK:g}")
    for criterion in graded.rubric.criteria:
        if criterion.score < CRITERION_FLOOR:
            advice = f": {criterion.to_improve[0]}" if criterion.to_improve else ""
            reasons.append(f"{criterion.name} {criterion.score:g}{advice}")
    names = {check.id: check.name for check in CHECKS}
    reasons += [f"{names[cid]}: {o.detail}" for cid, o in graded.checks.items() if o.passed is False]
    return CaseResult(
        case_id=graded.case.id, title=f"{graded.case.kind}: {graded.case.title}", scores=scores,
        headline=graded.rubric.weighted_average, passed=not reasons, reasons=reasons, judge=graded.judge,
    )


def suite_metrics(graded: list[GradedDraft], rows: list[CaseResult]) -> dict[str, float]:
    """Mean rubric score, mean per criterion and the lowest of them, pass rate of each check, cases passed."""
    metrics = {"weighted_average": _mean([g.rubric.weighted_average for g in graded])}
    criterion_means = {}
    for index, criterion in enumerate(graded[0].rubric.criteria):
        criterion_means[criterion.id] = _mean([g.rubric.criteria[index].score for g in graded])
        metrics[f"criterion.{criterion.id}"] = criterion_means[criterion.id]
    metrics["lowest_criterion"] = min(criterion_means.values())
    for check in CHECKS:
        applicable = [g.checks[check.id].passed for g in graded if g.checks[check.id].passed is not None]
        if applicable:
            metrics[f"check.{check.id}"] = _mean([float(p) for p in applicable])
    metrics["cases_passed"] = _mean([float(row.passed) for row in rows])
    judged = [g.judge["weighted"] for g in graded if g.judge and g.judge.get("weighted") is not None]
    if judged:
        metrics["judge.weighted_average"] = _mean(judged)
    return metrics


def _load(case: EvalCase, service: PostmortemService):
    try:
        return service.load([str(p) for p in case.inputs])
    except PmAgentError as exc:
        raise CaseError(f"case {case.id}: its input cannot be read: {exc}") from None


def _check_author(case: EvalCase, postmortem, ctx: RunContext) -> None:
    """The draft was written by the backend asked for; a silent fallback would mislabel every figure."""
    written_by = postmortem.generated_by
    wrong_author = written_by != "offline" if ctx.model is None else written_by.startswith("offline")
    if wrong_author:
        notes = "; ".join(postmortem.backend_notes[-1:])
        raise EvalError(f"case {case.id}: the {ctx.backend} backend did not write the draft ({postmortem.generated_by}). {notes}")


def _judge(case: EvalCase, markdown: str, service: PostmortemService, ctx: RunContext) -> dict[str, float]:
    """The judge's median per criterion, its weighted median, and how many criteria were unstable."""
    result = service.judge(markdown, backend=ctx.model, samples=ctx.judge_samples)
    if not result.samples or result.weighted_median is None:
        notes = "; ".join(result.backend_notes[-1:])
        raise EvalError(f"case {case.id}: the judge returned no samples ({result.generated_by}). {notes}")
    scores = {c.id: c.median for c in result.criteria}
    scores["weighted"] = result.weighted_median
    scores["unstable"] = float(sum(c.unstable for c in result.criteria))
    return scores


def _mean(values: list[float]) -> float:
    return round(statistics.fmean(values), 3)
