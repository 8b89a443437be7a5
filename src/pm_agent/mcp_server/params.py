"""Tool parameters shared by several tools, each described for the model that fills it in."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

IncidentData = Annotated[
    str,
    Field(
        description=(
            "The incident itself, inline: pm-agent incident JSON ({title, severity, started_at, resolved_at, "
            "services, events: [{at, source, text}], impact, notes}), a Slack channel export, PagerDuty "
            "log_entries or an Alertmanager webhook (each as a JSON string), or a plain-text/Markdown timeline "
            "with one timestamped line per event ('14:05 UTC checkout 502s alert fired'). "
            "Leave empty when you give 'paths' instead."
        )
    ),
]
IncidentPaths = Annotated[
    list[str],
    Field(
        description=(
            "Paths of incident files on the machine running this server, in any of the formats above; several "
            "files about one incident are merged into one timeline, and a directory stands for the files in it. "
            "Leave empty when you give 'incident' inline."
        )
    ),
]
DateOption = Annotated[
    str | None,
    Field(description="Date (YYYY-MM-DD) for timelines that give only times of day, e.g. 2024-03-01."),
]
TimezoneOption = Annotated[
    str | None,
    Field(description="IANA time zone of times written without an offset, e.g. Europe/Oslo (default: UTC)."),
]
Roster = Annotated[
    dict[str, str] | None,
    Field(
        description=(
            'Who owns what: role or area to a person\'s name, e.g. {"platform": "Dana Ortiz"}. '
            "Without it, action owners are roles to be assigned in the review."
        )
    ),
]

INCIDENT_HINT = (
    "Send the incident in 'incident' as JSON (pm-agent incident, Slack export, PagerDuty log_entries or "
    "Alertmanager webhook) or as a text timeline with one timestamped line per event, "
    "or give the files in 'paths' (not both)."
)
