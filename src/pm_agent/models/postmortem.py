"""The postmortem draft: what the drafting engine writes and the renderers print."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

from pm_agent.models.analysis import ActionItem, Evidence, Finding, RubricResult, Usage, WhyChain
from pm_agent.models.incident import Impact, TimelineEvent, UndatedEvent

MetricName = Literal["time_to_detect", "time_to_acknowledge", "time_to_mitigate", "time_to_resolve", "duration"]


class OpenQuestion(BaseModel):
    """Something the data cannot settle, asked so that someone can."""

    topic: str
    question: str


class Metric(BaseModel):
    """A detection or response metric, or an unknown with the question that would settle it."""

    name: MetricName
    label: str
    minutes: float | None = None
    start: AwareDatetime | None = None
    end: AwareDatetime | None = None
    basis: str = Field(default="", description="Which two times it was computed from, and where they came from.")
    question: str | None = None


class RelatedIncident(BaseModel):
    """A past incident from the memory that resembles this one."""

    id: str = Field(description="The memory's record id (incident://{id} reads it).")
    title: str
    score: float
    why: list[str] = Field(default_factory=list)
    date: dt.date | None = None
    incident_id: str | None = Field(default=None, description="The team's own id of that incident, when it had one.")

    @property
    def shown_id(self) -> str:
        """The id a reader knows the incident by: the team's own, else the memory's."""
        return self.incident_id or self.id


class Postmortem(BaseModel):
    """A blameless postmortem draft. Every figure in it comes from the incident data."""

    incident_id: str
    title: str
    severity: str | None = None
    services: list[str] = Field(default_factory=list)
    date: dt.date | None = None
    summary: str
    impact: Impact = Field(default_factory=Impact)
    impact_statements: list[Evidence] = Field(
        default_factory=list, description="What the input says of the impact in words, quoted with its time."
    )
    timeline: list[TimelineEvent] = Field(default_factory=list)
    undated_events: list[UndatedEvent] = Field(
        default_factory=list, description="Events shown with the time the input gave."
    )
    metrics: list[Metric] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list, description="What the data states about the cause, quoted.")
    root_cause: WhyChain | None = None
    contributing_factors: list[str] = Field(default_factory=list)
    action_items: list[ActionItem] = Field(default_factory=list)
    what_went_well: list[str] = Field(default_factory=list)
    what_went_wrong: list[str] = Field(default_factory=list)
    lessons: list[str] = Field(default_factory=list)
    open_questions: list[OpenQuestion] = Field(default_factory=list)
    related_incidents: list[RelatedIncident] = Field(default_factory=list)
    score: RubricResult | None = None
    generated_by: str = "offline"
    backend_notes: list[str] = Field(
        default_factory=list, description="Fallbacks and check findings from a model backend."
    )
    usage: Usage | None = Field(
        default=None, description="Tokens and estimated cost of the model calls, when a model wrote it."
    )
    status: Literal["draft", "final"] = "draft"
