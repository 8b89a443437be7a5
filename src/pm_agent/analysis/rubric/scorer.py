"""The rubric scorer: any postmortem in Markdown, eight weighted criteria, 1 to 5.

``prompts/rubric.json`` is the one source of the rubric: weights, pass mark, the anchored
levels a human or language-model judge uses, and the vocabulary this deterministic scorer
matches. Scoring is offline and repeatable: the same Markdown always gets the same scores,
each with the evidence found and the changes that would raise it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pm_agent.analysis.rubric import account as rubric_criteria
from pm_agent.analysis.rubric import causes_actions as rubric_analysis
from pm_agent.analysis.rubric import practice as rubric_practice
from pm_agent.analysis.rubric.reading import Reading, read
from pm_agent.analysis.rubric.text import Judgement, Signals
from pm_agent.errors import PromptError, first_problem
from pm_agent.markdown.document import MarkdownPostmortem, parse_markdown
from pm_agent.models import CriterionScore, RubricResult
from pm_agent.resources import resource_path

RUBRIC_FILE = "rubric.json"
SCORE_LEVELS = (1, 2, 3, 4, 5)

Scorer = Callable[[Reading, Signals], Judgement]
SCORERS: dict[str, Scorer] = {
    "timeline_clarity": rubric_criteria.timeline_clarity,
    "impact_quantification": rubric_criteria.impact_quantification,
    "root_cause_depth": rubric_analysis.root_cause_depth,
    "corrective_actions_quality": rubric_analysis.corrective_actions_quality,
    "blameless_tone": rubric_practice.blameless_tone,
    "timeliness_follow_through": rubric_practice.timeliness_follow_through,
    "learning_sharing": rubric_practice.learning_sharing,
    "completeness_structure": rubric_practice.completeness_structure,
}


class RubricScale(BaseModel):
    """The score range and the smallest step a judge may use."""

    model_config = ConfigDict(frozen=True)

    min: int = 1
    max: int = 5
    step: float = 0.5


class RubricCriterion(BaseModel):
    """One criterion: its weight, what it measures, an anchor per score, and the scorer's phrase lists."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    weight: float = Field(gt=0)
    description: str
    anchors: dict[int, str] = Field(description="What a postmortem scoring 1, 2, 3, 4 and 5 looks like.")
    signals: dict[str, list[str]] = Field(
        default_factory=dict, description="Phrase lists the deterministic scorer matches."
    )

    @field_validator("anchors")
    @classmethod
    def _every_level_anchored(cls, anchors: dict[int, str]) -> dict[int, str]:
        if sorted(anchors) != list(SCORE_LEVELS) or not all(text.strip() for text in anchors.values()):
            raise ValueError("anchors must describe each score 1, 2, 3, 4 and 5")
        return anchors


class Rubric(BaseModel):
    """The whole rubric as ``prompts/rubric.json`` states it."""

    model_config = ConfigDict(frozen=True)

    id: str
    version: str
    title: str = ""
    instructions: str = Field(default="", description="How a judge applies the anchors.")
    scale: RubricScale = RubricScale()
    pass_mark: float = Field(ge=1, le=5)
    criteria: list[RubricCriterion] = Field(min_length=1)

    @model_validator(mode="after")
    def _ids_unique(self) -> Rubric:
        ids = [c.id for c in self.criteria]
        if len(set(ids)) != len(ids):
            raise ValueError(f"criterion ids repeat: {ids}")
        return self

    def criterion(self, criterion_id: str) -> RubricCriterion:
        """The criterion with ``criterion_id``; KeyError names the known ids."""
        for criterion in self.criteria:
            if criterion.id == criterion_id:
                return criterion
        raise KeyError(f"no criterion {criterion_id!r}; known: {', '.join(c.id for c in self.criteria)}")

    @property
    def total_weight(self) -> float:
        return sum(c.weight for c in self.criteria)


def load_rubric(path: Path | None = None) -> Rubric:
    """The rubric from ``prompts/rubric.json`` (or ``path``), validated; PromptError names a bad file."""
    return _load(str(path or resource_path(RUBRIC_FILE)))


@lru_cache(maxsize=8)
def _load(path: str) -> Rubric:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise PromptError(f"cannot read the rubric {path}: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise PromptError(f"the rubric {path} is not valid JSON (line {exc.lineno}: {exc.msg})") from None
    try:
        return Rubric.model_validate(data)
    except ValidationError as exc:
        where, problem = first_problem(exc)
        raise PromptError(f"the rubric {path} is invalid at {where or 'top level'}: {problem}") from None


def score_markdown(markdown: str, rubric: Rubric | None = None) -> RubricResult:
    """Score a postmortem written in Markdown against the project's rubric (or ``rubric``)."""
    return score_document(parse_markdown(markdown), rubric)


def score_document(doc: MarkdownPostmortem, rubric: Rubric | None = None) -> RubricResult:
    """Score an already parsed postmortem: one explained score per criterion and their weighted mean."""
    rubric = rubric or load_rubric()
    reading = read(doc)
    scores = [_score(criterion, reading) for criterion in rubric.criteria]
    weighted = round(sum(s.weight * s.score for s in scores) / rubric.total_weight, 2)
    return RubricResult(
        criteria=scores, weighted_average=weighted, passed=weighted >= rubric.pass_mark, pass_mark=rubric.pass_mark
    )


def _score(criterion: RubricCriterion, reading: Reading) -> CriterionScore:
    scorer = SCORERS.get(criterion.id)
    if scorer is None:
        raise PromptError(f"rubric.json: no scorer for criterion {criterion.id!r}; known: {', '.join(SCORERS)}")
    judgement = scorer(reading, Signals(criterion.id, criterion.signals))
    return CriterionScore(
        id=criterion.id,
        name=criterion.name,
        weight=criterion.weight,
        score=judgement.score,
        evidence=judgement.evidence or ["nothing found for this criterion"],
        to_improve=judgement.to_improve,
    )
