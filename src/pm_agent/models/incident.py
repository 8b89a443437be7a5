"""The incident as ingested: key times, timeline events, impact figures, notes."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

EventSource = Literal["alert", "chat", "deploy", "page", "note", "metric"]
EVENT_SOURCES: tuple[str, ...] = ("alert", "chat", "deploy", "page", "note", "metric")

Phase = Literal["trigger", "detection", "escalation", "diagnosis", "mitigation", "resolution"]
PHASES: tuple[str, ...] = ("trigger", "detection", "escalation", "diagnosis", "mitigation", "resolution")

ImpactKind = Literal[
    "users_affected",
    "user_share",
    "duration",
    "requests_failed",
    "error_rate",
    "revenue",
    "sla_breach",
    "support_tickets",
]
IMPACT_KINDS: tuple[str, ...] = (
    "users_affected",
    "user_share",
    "duration",
    "requests_failed",
    "error_rate",
    "revenue",
    "sla_breach",
    "support_tickets",
)


class SourceRef(BaseModel):
    """Where a fact came from: a file and a place inside it (``line 12``, ``messages[3]``)."""

    model_config = ConfigDict(frozen=True)

    file: str
    locator: str = ""

    def __str__(self) -> str:
        return f"{self.file}:{self.locator}" if self.locator else self.file


class TimelineEvent(BaseModel):
    """One thing that happened, at a UTC time, seen through one source."""

    at: AwareDatetime
    source: EventSource
    text: str = Field(min_length=1)
    actor: str | None = None
    phase: Phase | None = None
    refs: list[SourceRef] = Field(default_factory=list)
    approximate: bool = Field(
        default=False,
        description="The input marks the time as an estimate ('\"approximate\": true', '~19:30'): shown with its marker.",
    )


class UndatedEvent(BaseModel):
    """An event whose exact time the input does not give (``"time_text": "14:??"``): shown, never placed by guess."""

    source: EventSource
    text: str
    time_text: str = ""
    refs: list[SourceRef] = Field(default_factory=list)


class Figure(BaseModel):
    """One impact figure exactly as the input states it, with the words it came from."""

    kind: ImpactKind
    value: float | None = None
    unit: str = ""
    quote: str = Field(description="The input text the figure was read from, verbatim.")
    ref: SourceRef | None = None


class Impact(BaseModel):
    """Impact figures by dimension. A dimension with no figure is unknown, never zero."""

    users_affected: Figure | None = None
    user_share: Figure | None = None
    duration: Figure | None = None
    requests_failed: Figure | None = None
    error_rate: Figure | None = None
    revenue: Figure | None = None
    sla_breach: Figure | None = None
    support_tickets: Figure | None = None

    @model_validator(mode="before")
    @classmethod
    def _figures_from_plain_values(cls, data: object) -> object:
        """Accept ``{"users_affected": 1200}`` as well as full figure objects."""
        if not isinstance(data, dict):
            return data
        out = {}
        for kind, value in data.items():
            if isinstance(value, bool) or value is None or isinstance(value, dict) or isinstance(value, Figure):
                if isinstance(value, bool):
                    value = {"kind": kind, "value": None, "quote": "yes" if value else "no"}
                elif isinstance(value, dict):
                    value = {"kind": kind, **value}
                    value.setdefault("quote", str(value.get("value", "")))
                out[kind] = value
            elif isinstance(value, int | float):
                out[kind] = {"kind": kind, "value": value, "quote": _plain_number(value)}
            else:
                out[kind] = {"kind": kind, "value": None, "quote": str(value)}
        return out

    def figures(self) -> list[Figure]:
        """The known figures, in dimension order."""
        return [f for kind in IMPACT_KINDS if (f := getattr(self, kind)) is not None]

    def missing(self) -> list[str]:
        """The dimensions with no figure."""
        return [kind for kind in IMPACT_KINDS if getattr(self, kind) is None]


def _plain_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


class Incident(BaseModel):
    """A closed incident, normalised from one or several input files."""

    id: str
    title: str
    severity: str | None = None
    services: list[str] = Field(default_factory=list)
    started_at: AwareDatetime | None = None
    detected_at: AwareDatetime | None = None
    acknowledged_at: AwareDatetime | None = None
    mitigated_at: AwareDatetime | None = None
    resolved_at: AwareDatetime | None = None
    events: list[TimelineEvent] = Field(default_factory=list)
    undated_events: list[UndatedEvent] = Field(default_factory=list)
    impact: Impact = Field(default_factory=Impact)
    notes: str = ""
    sources: list[str] = Field(default_factory=list, description="The files this incident was read from.")
