"""A model judge for the rubric, beside (never instead of) the deterministic score.

The judge sees the rubric and its anchors in the cached system prompt and the postmortem as
delimited data, and answers through a forced ``submit_scores`` tool whose fields put the
reasoning before the score. It is sampled k times and each criterion takes the median; a
criterion whose samples differ by 2 or more is marked unstable. A criterion missing from a
sample counts as the lowest score (an invalid judgement is never dropped).
"""

from __future__ import annotations

import statistics

from pydantic import BaseModel, Field

from pm_agent.backends.base import Backend, BackendFailure, GenerationRequest, is_offline
from pm_agent.models import RubricResult, Usage

JUDGE_TOOL = "submit_scores"
UNSTABLE_SPREAD = 2.0
LOWEST_SCORE = 1.0


class CriterionJudgement(BaseModel):
    """One criterion judged: the reasoning first, then the score it leads to."""

    criterion: str = Field(description="The criterion id, as the rubric gives it.")
    reasoning: str = Field(
        description="The passages quoted or counted, and what the next level needs. Written before the score."
    )
    score: float = Field(ge=1, le=5, multiple_of=0.5, description="1 to 5 in steps of 0.5, matching the anchors.")


class JudgeScores(BaseModel):
    """The judge's scores, one per rubric criterion."""

    scores: list[CriterionJudgement]


class JudgedCriterion(BaseModel):
    """A criterion's judge samples, their median and spread, and the deterministic score beside them."""

    id: str
    name: str
    weight: float
    samples: list[float]
    median: float
    spread: float
    unstable: bool
    deterministic: float
    reasoning: str = Field(default="", description="The reasoning of the sample closest to the median.")


class JudgeResult(BaseModel):
    """The deterministic rubric score, and the model judge's median scores when a model was available."""

    deterministic: RubricResult
    criteria: list[JudgedCriterion] = Field(default_factory=list)
    weighted_median: float | None = None
    samples: int = 0
    generated_by: str = "offline"
    backend_notes: list[str] = Field(default_factory=list)
    usage: Usage | None = None


def judge_request(markdown: str) -> GenerationRequest[JudgeScores]:
    """The judge's request: the rubric as the stable system text, the postmortem as data."""
    from pm_agent.analysis.rubric.scorer import load_rubric

    rubric = load_rubric()
    return GenerationRequest(
        prompt="judge",
        output=JudgeScores,
        tool_name=JUDGE_TOOL,
        tool_description="Submit one reasoned score per rubric criterion.",
        variables={
            "rubric": rubric_text(rubric),
            "criteria_ids": ", ".join(c.id for c in rubric.criteria),
            "tool": JUDGE_TOOL,
        },
        data={"postmortem": markdown},
    )


def rubric_text(rubric) -> str:
    """The rubric as the judge reads it: instructions, then each criterion with its anchors."""
    parts = [rubric.instructions] if rubric.instructions else []
    for criterion in rubric.criteria:
        anchors = "\n".join(f"- {level}: {criterion.anchors[level]}" for level in sorted(criterion.anchors))
        parts.append(
            f"### {criterion.id}: {criterion.name} (weight {criterion.weight:g})\n{criterion.description}\n{anchors}"
        )
    return "\n\n".join(parts)


def judge_rubric(markdown: str, backend: Backend, k: int = 3) -> JudgeResult:
    """The deterministic score of ``markdown`` and, with a model backend, the median of ``k`` judge samples."""
    from pm_agent.analysis.rubric.scorer import score_markdown

    deterministic = score_markdown(markdown)
    if is_offline(backend):
        return JudgeResult(
            deterministic=deterministic, backend_notes=["No model backend: the deterministic score stands alone."]
        )
    request = judge_request(markdown)
    samples: list[JudgeScores] = []
    usage, notes, label = Usage(), [], backend.name
    for index in range(k):
        try:
            generation = backend.generate(request)
        except BackendFailure as exc:
            usage += exc.usage
            notes.append(f"Judge sample {index + 1} of {k} failed, so sampling stopped: {exc}")
            label = f"offline (fallback: {exc.reason})" if not samples else label
            break
        samples.append(generation.value)
        usage += generation.usage
        label = generation.generated_by
    if not samples:
        return JudgeResult(
            deterministic=deterministic, generated_by=label, backend_notes=notes, usage=usage if usage.calls else None
        )
    criteria, sample_notes = _reduce(samples, deterministic)
    total_weight = sum(c.weight for c in criteria)
    weighted = round(sum(c.weight * c.median for c in criteria) / total_weight, 2) if total_weight else None
    return JudgeResult(
        deterministic=deterministic,
        criteria=criteria,
        weighted_median=weighted,
        samples=len(samples),
        generated_by=label,
        backend_notes=[*notes, *sample_notes],
        usage=usage,
    )


def _reduce(samples: list[JudgeScores], deterministic: RubricResult) -> tuple[list[JudgedCriterion], list[str]]:
    notes: list[str] = []
    known = {c.id for c in deterministic.criteria}
    for number, sample in enumerate(samples, start=1):
        unknown = sorted({s.criterion for s in sample.scores} - known)
        if unknown:
            notes.append(f"Judge sample {number} scored unknown criteria, ignored: {', '.join(unknown)}.")
    criteria = []
    for rule in deterministic.criteria:
        judged = [_judgement_of(sample, rule.id) for sample in samples]
        missing = sum(1 for j in judged if j is None)
        if missing:
            notes.append(f"{missing} judge sample(s) did not score {rule.id}; counted as {LOWEST_SCORE:g}.")
        scores = [j.score if j else LOWEST_SCORE for j in judged]
        median = float(statistics.median(scores))
        closest = min((j for j in judged if j), key=lambda j: abs(j.score - median), default=None)
        spread = max(scores) - min(scores)
        criteria.append(
            JudgedCriterion(
                id=rule.id,
                name=rule.name,
                weight=rule.weight,
                samples=scores,
                median=median,
                spread=spread,
                unstable=spread >= UNSTABLE_SPREAD,
                deterministic=rule.score,
                reasoning=closest.reasoning if closest else "",
            )
        )
    return criteria, notes


def _judgement_of(sample: JudgeScores, criterion_id: str) -> CriterionJudgement | None:
    return next((s for s in sample.scores if s.criterion == criterion_id), None)
