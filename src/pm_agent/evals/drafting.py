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

from pm_agent.assisted.checks import clip
from pm_agent.backends import OfflineBackend
from pm_agent.errors import PmAgentError
from pm_agent.evals.cases import CaseError, EvalCase, EvalError, default_cases_dir, load_cases, real_incident_cases
from pm_agent.evals.checks import CHECKS, CheckOutcome, Draft, run_checks
from pm_agent.evals.context import RunContext
from pm_agent.evals.gates import CRITERION_FLOOR, RUBRIC_PASS_MARK
from pm_agent.evals.grounded import Grounding, ground, leaked_lines
from pm_agent.evals.matching import Calibration, calibrate
from pm_agent.evals.results import CaseResult, Column, SuiteResult, Table
from pm_agent.models import Incident, Postmortem, RubricResult
from pm_agent.service import PostmortemService

DRAFTING_TITLE = "Drafting: the project's cases"
REAL_TITLE = "Drafting: real public incidents (../shared/data)"


@dataclass(frozen=True)
class GradedDraft:
    """One case drafted and graded: the rubric result, the checks, and the judge when there is one."""

    case: EvalCase
    rubric: RubricResult
    checks: dict[str, CheckOutcome]
    postmortem: Postmortem
    grounding: Grounding
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
    leaks = leaked_lines([(g.case.id, g.postmortem) for g in graded])
    rows = [case_row(g, leaks[g.case.id]) for g in graded]
    metrics = suite_metrics(graded, rows) | substance_metrics(graded, leaks)
    tracked = ("weighted_average", "lowest_criterion", *(f"check.{check.id}" for check in CHECKS), *SUBSTANCE_TRACKED)
    notes = [
        f"{len(cases)} cases; rubric pass mark {graded[0].rubric.pass_mark:g}, criterion floor {CRITERION_FLOOR:g}."
    ]
    if ctx.model is not None:
        notes.append(
            f"Drafts rewritten by the {ctx.backend} backend; judge medians of {ctx.judge_samples} samples beside the rubric."
        )
    notes.append(SUBSTANCE_NOTE)
    calibration = matcher_calibration(cases, ctx)
    if calibration is not None:
        notes.append(calibration.sentence())
        metrics["matcher_agreement"] = round(calibration.agreement, 3)
    return SuiteResult(
        name=name,
        title=title,
        columns=columns,
        cases=rows,
        metrics=metrics,
        tracked=tuple(t for t in tracked if t in metrics),
        headline_name="weighted",
        notes=notes,
        tables=[SUBSTANCE_TABLE],
    )


def grade(case: EvalCase, service: PostmortemService, ctx: RunContext) -> GradedDraft:
    """Draft one case, render it, score it with the rubric, check it, and judge it with a model backend.

    The backend is always explicit: offline means offline even where ``ANTHROPIC_API_KEY`` is set.
    """
    incident = _load(case, service)
    # Never with the memory: related incidents would make the draft depend on what the memory holds.
    postmortem = service.draft(incident, score=False, backend=ctx.model or OfflineBackend(), use_memory=False)
    _check_author(case, postmortem, ctx)
    markdown = service.render(postmortem)
    rubric = service.score(markdown)
    checks = run_checks(case, Draft(incident, postmortem, markdown))
    judge = _judge(case, markdown, service, ctx) if ctx.model is not None else None
    return GradedDraft(case, rubric, checks, postmortem, ground(case, incident, postmortem), judge)


def case_row(graded: GradedDraft, leak: tuple[int, int]) -> CaseResult:
    """A case's row: criterion scores, check results (1 pass, 0 fail, None n/a), substance figures, and why it fell short."""
    scores: dict[str, float | None] = {c.id: c.score for c in graded.rubric.criteria}
    for check_id, outcome in graded.checks.items():
        scores[check_id] = None if outcome.passed is None else float(outcome.passed)
    scores |= substance_scores(graded.grounding, leak)
    reasons = []
    if graded.rubric.weighted_average < RUBRIC_PASS_MARK:
        reasons.append(f"rubric {graded.rubric.weighted_average:.2f} is below {RUBRIC_PASS_MARK:g}")
    for criterion in graded.rubric.criteria:
        if criterion.score < CRITERION_FLOOR:
            advice = f": {criterion.to_improve[0]}" if criterion.to_improve else ""
            reasons.append(f"{criterion.name} {criterion.score:g}{advice}")
    names = {check.id: check.name for check in CHECKS}
    reasons += [f"{names[cid]}: {o.detail}" for cid, o in graded.checks.items() if o.passed is False]
    reasons += substance_reasons(graded.grounding)
    return CaseResult(
        case_id=graded.case.id,
        title=f"{graded.case.kind}: {graded.case.title}",
        scores=scores,
        headline=graded.rubric.weighted_average,
        passed=not reasons,
        reasons=reasons,
        judge=graded.judge,
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


SUBSTANCE_NOTE = (
    "Substance (table below): recall counts the team's causes and actions that the draft's statements match "
    "(evals/matching.py); the ceiling is the share the incident data itself states, and 'in data' the recall "
    "within it; unsupported claims are causal statements that cite no input event and are not marked as open; "
    "leaked lines also appear in another incident's draft once times, numbers, ids and service names are removed."
)
SUBSTANCE_TABLE = Table(
    title="Substance: what the draft finds, beside what the data allows",
    columns=[
        Column("cause_recall", "Cause recall", "rate"),
        Column("cause_ceiling", "Ceiling", "rate"),
        Column("cause_in_data", "In data found", "rate"),
        Column("cause_asked", "Asked only", "count"),
        Column("cause_words_input", "Words in input", "rate"),
        Column("cause_words_draft", "Words in draft", "rate"),
        Column("action_recall", "Action recall", "rate"),
        Column("action_ceiling", "Ceiling", "rate"),
        Column("unsupported", "Unsupported claims", "count"),
        Column("claims", "Claims", "count"),
        Column("leaked", "Leaked lines", "count"),
        Column("lines", "Analysis lines", "count"),
        Column("metric_accuracy", "Stated metrics matched", "rate"),
        Column("mitigation_known", "TTM known", "check"),
    ],
)
MATCHING_DATASET = "matching.jsonl"
SUBSTANCE_TRACKED = (
    "cause_recall",
    "cause_recall_in_data",
    "action_recall",
    "action_recall_in_data",
    "claims_supported",
    "template_originality",
    "metric_accuracy",
    "mitigation_known",
    "matcher_agreement",
)


def substance_scores(grounding: Grounding, leak: tuple[int, int]) -> dict[str, float | None]:
    """One case's truth-grounded figures, for its row in the substance table."""
    causes, actions = grounding.causes, grounding.actions
    return {
        "cause_recall": causes.rate if causes else None,
        "cause_ceiling": causes.ceiling if causes else None,
        "cause_in_data": causes.within_ceiling if causes else None,
        "cause_asked": float(causes.asked) if causes else None,
        "cause_words_input": causes.words_in_input if causes else None,
        "cause_words_draft": causes.words_in_draft if causes else None,
        "action_recall": actions.rate if actions else None,
        "action_ceiling": actions.ceiling if actions else None,
        "unsupported": float(len(grounding.unsupported)),
        "claims": float(len(grounding.claims)),
        "leaked": float(leak[0]),
        "lines": float(leak[1]),
        "metric_accuracy": grounding.metric_accuracy,
        "mitigation_known": None if grounding.mitigation_known is None else float(grounding.mitigation_known),
    }


def substance_reasons(grounding: Grounding) -> list[str]:
    """Why a draft falls short on substance, in words."""
    reasons = []
    if grounding.unsupported:
        shown = "; ".join(f"{c.section}: '{clip(c.text, 70)}'" for c in grounding.unsupported[:2])
        reasons.append(f"{len(grounding.unsupported)} unsupported claims ({shown})")
    causes = grounding.causes
    if causes and causes.in_input > causes.found_in_input:
        reasons.append(f"found {causes.found_in_input} of {causes.in_input} causes the data states")
    if grounding.mitigation_known is False:
        reasons.append("time to mitigate unknown although the input states recovery")
    missed = [
        f"{m.metric} {m.drafted if m.drafted is None else round(m.drafted)} vs stated {m.stated:g}"
        for m in grounding.metrics
        if not m.accurate
    ]
    if missed:
        reasons.append("metrics off: " + ", ".join(missed))
    return reasons


def substance_metrics(graded: list[GradedDraft], leaks: dict[str, tuple[int, int]]) -> dict[str, float]:
    """The suite's truth-grounded figures, pooled over its cases (higher is better for each)."""
    metrics: dict[str, float] = {}
    for name, attr in (("cause", "causes"), ("action", "actions")):
        recalls = [getattr(g.grounding, attr) for g in graded if getattr(g.grounding, attr) is not None]
        items = sum(r.items for r in recalls)
        if items:
            in_input = sum(r.in_input for r in recalls)
            metrics[f"{name}_recall"] = _ratio(sum(r.found for r in recalls), items)
            metrics[f"{name}_ceiling"] = _ratio(in_input, items)
            if in_input:
                metrics[f"{name}_recall_in_data"] = _ratio(sum(r.found_in_input for r in recalls), in_input)
    claims = sum(len(g.grounding.claims) for g in graded)
    unsupported = sum(len(g.grounding.unsupported) for g in graded)
    metrics["unsupported_claims"] = float(unsupported)
    metrics["claims_supported"] = _ratio(claims - unsupported, claims) if claims else 1.0
    lines = sum(total for _, total in leaks.values())
    if lines and len(graded) > 1:
        metrics["template_originality"] = _ratio(lines - sum(leaked for leaked, _ in leaks.values()), lines)
    checks = [m for g in graded for m in g.grounding.metrics]
    if checks:
        metrics["metric_accuracy"] = _ratio(sum(m.accurate for m in checks), len(checks))
    known = [g.grounding.mitigation_known for g in graded if g.grounding.mitigation_known is not None]
    if known:
        metrics["mitigation_known"] = _ratio(sum(known), len(known))
    return metrics


def matcher_calibration(cases: list[EvalCase], ctx: RunContext) -> Calibration | None:
    """The matcher's agreement with its labelled pairs, and across these cases' truths; None without the dataset."""
    if ctx.datasets_dir is None or not any(case.truth for case in cases):
        return None
    return calibrate(ctx.dataset(MATCHING_DATASET), [case.truth.causes for case in cases if case.truth.causes])


def _ratio(part: float, whole: float) -> float:
    return round(part / whole, 3)


def _load(case: EvalCase, service: PostmortemService) -> Incident:
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
        raise EvalError(
            f"case {case.id}: the {ctx.backend} backend did not write the draft ({postmortem.generated_by}). {notes}"
        )


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
