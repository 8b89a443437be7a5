"""Results of the analysis engines: why-chains, actions, blame findings, fishbone, rubric scores."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

from pm_agent.models.incident import EventSource

SystemicKind = Literal["safeguard", "process", "test", "alert", "capacity", "design", "dependency", "unknown"]
Horizon = Literal["immediate", "short", "long"]
Priority = Literal["P1", "P2", "P3"]
HierarchyLevel = Literal["eliminate", "substitute", "engineering", "administrative", "training"]
HIERARCHY: tuple[str, ...] = ("eliminate", "substitute", "engineering", "administrative", "training")


class Evidence(BaseModel):
    """A timeline event a step rests on, cited by time and source (an undated event by the time the input gave)."""

    at: AwareDatetime | None = None
    source: EventSource
    excerpt: str
    time_text: str = Field(default="", description="For an event whose exact time the input does not give.")


# The ``time_text`` of evidence quoted from the incident's title ("All services returning 503"), not from an event.
TITLE_CITATION = "the incident's title"


class WhyStep(BaseModel):
    """One why/because pair. Without evidence (or a fact the user stated) it is open: a question to the team."""

    why: str
    because: str
    evidence: list[Evidence] = Field(default_factory=list)
    facts: list[str] = Field(default_factory=list, description="Facts the user stated that this step rests on.")
    hypothesis: bool = Field(default=True, description="True when no input event or stated fact confirms this step.")
    question: str = Field(default="", description="What the review must answer when the data does not.")


class WhyBranch(BaseModel):
    """One causal line from the problem down to a systemic cause."""

    label: str
    steps: list[WhyStep]
    root_cause: str = Field(
        default="",
        description="The systemic cause an organisation can fix, as the data or a stated fact shows it; never a person.",
    )
    root_cause_question: str = Field(
        default="", description="The question that would establish it, when the data does not."
    )
    systemic_kind: SystemicKind = "unknown"
    category: str = Field(default="other", description="Cause category, e.g. config, deploy, capacity.")


class WhyChain(BaseModel):
    """A 5 Whys analysis: the problem and one branch per distinct cause."""

    problem: str
    first_signal: Evidence | None = None  # the event that first showed the failure: the head, never a why's answer
    branches: list[WhyBranch]
    to_confirm: bool = Field(default=True, description="True while any step is a hypothesis.")
    services: list[str] = Field(default_factory=list, description="The affected services.")
    severity: str | None = Field(default=None, description="The incident's severity.")
    generated_by: str = Field(default="offline", description="The backend that wrote it.")
    backend_notes: list[str] = Field(
        default_factory=list, description="Fallbacks and check findings from a model backend."
    )


FindingKind = Literal[
    "finding", "cause", "trigger", "fix", "link", "gap", "negative", "recovery", "impact", "revert", "limit"
]


class Finding(BaseModel):
    """What the incident data itself says about the cause, in one sentence that quotes its events."""

    kind: FindingKind
    statement: str = Field(description='One sentence, citing each event it rests on: at <time>: "<quote>".')
    evidence: list[Evidence] = Field(default_factory=list)


class ChainReview(BaseModel):
    """The verdict on a why-chain a user supplied."""

    ok: bool
    findings: list[str] = Field(default_factory=list)
    next_questions: list[str] = Field(default_factory=list)


class ActionItem(BaseModel):
    """A corrective or preventive action."""

    id: str = ""
    title: str = Field(description="A specific verb and object.")
    done_when: str = Field(default="", description="The measurable criterion that closes it.")
    owner: str | None = Field(default=None, description="A role, or a name from the user's roster.")
    due: dt.date | None = None
    due_note: str = Field(default="", description="How the due date was set, or what is needed to set it.")
    horizon: Horizon | None = None
    priority: Priority | None = None
    hierarchy: HierarchyLevel | None = None
    addresses: str = Field(default="", description="The cause or factor this action addresses.")
    automated_check: bool = False
    status: Literal["open", "in_progress", "done"] = "open"
    tracker_url: str | None = Field(
        default=None,
        exclude_if=lambda value: value is None,
        description="The issue filed for it in the team's tracker (GitHub Issues, Jira), once handed back.",
    )
    tracker_state: Literal["open", "closed"] | None = Field(
        default=None,
        exclude_if=lambda value: value is None,
        description="That issue's state as the tracker last said it (pm-agent actions sync reads it again).",
    )


class ActionProblem(BaseModel):
    """One way an action falls short of SMART."""

    code: Literal["vague", "no_owner", "team_owner", "no_due_date", "no_measure", "training_only", "not_specific"]
    message: str


class ActionLint(BaseModel):
    """The SMART check of one action."""

    action: ActionItem
    problems: list[ActionProblem] = Field(default_factory=list)
    smart: bool = True


class BlameFinding(BaseModel):
    """A span of blame language, why it hurts, and a system-focused alternative."""

    start: int
    end: int
    text: str
    category: Literal[
        "person_as_cause", "counterfactual", "character_judgement", "human_error", "hindsight", "role_blame"
    ]
    why: str
    suggestion: str
    rewritten: bool = Field(
        default=True,
        description="False when the sentence was left as written (flagged): no rewrite kept every fact and read as "
        "a sentence, so the suggestion says what to change instead.",
    )


class BlamelessReport(BaseModel):
    """Blame findings in a text and the text rewritten without them."""

    original: str
    rewritten: str
    findings: list[BlameFinding] = Field(default_factory=list)
    generated_by: str = Field(default="offline", description="The backend that wrote the rewrite.")
    backend_notes: list[str] = Field(
        default_factory=list, description="Fallbacks and check findings from a model backend."
    )


class Fishbone(BaseModel):
    """Causes and factors grouped as People, Process, Technology, Environment (in that order)."""

    problem: str
    categories: dict[str, list[str]]
    mermaid: str = ""
    fault_tree_mermaid: str | None = None
    generated_by: str = Field(default="offline", description="The backend that wrote the causes it groups.")


class CriterionScore(BaseModel):
    """One rubric criterion: a 1-5 score, the evidence found, and what would raise it."""

    id: str
    name: str
    weight: float
    score: float = Field(ge=1, le=5)
    evidence: list[str] = Field(default_factory=list)
    to_improve: list[str] = Field(default_factory=list)


class RubricResult(BaseModel):
    """A postmortem's weighted rubric score."""

    criteria: list[CriterionScore]
    weighted_average: float
    passed: bool
    pass_mark: float = 3.5


class Usage(BaseModel):
    """What model calls cost for one result: tokens, and an estimated price (None when unknown)."""

    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0
    estimated_cost_usd: float | None = None

    def __add__(self, other: Usage) -> Usage:
        cost = None
        if self.estimated_cost_usd is not None or other.estimated_cost_usd is not None:
            cost = round((self.estimated_cost_usd or 0.0) + (other.estimated_cost_usd or 0.0), 6)
        return Usage(
            calls=self.calls + other.calls,
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cache_creation_input_tokens=self.cache_creation_input_tokens + other.cache_creation_input_tokens,
            cache_read_input_tokens=self.cache_read_input_tokens + other.cache_read_input_tokens,
            estimated_cost_usd=cost,
        )
