"""Tool parameters shared by several tools, each described for the model that fills it in.

The formats an incident may come in are listed once, in the server's instructions and in
``INCIDENT_HINT`` (sent back when the data cannot be read), not in every tool's schema:
``tools/list`` stays small, so clients start fast.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

IncidentData = Annotated[
    str,
    Field(
        description=(
            "The incident inline: incident JSON, a Slack/PagerDuty/Alertmanager export, or a text timeline "
            "with one timestamped line per event. Or give 'paths'."
        )
    ),
]
IncidentPaths = Annotated[
    list[str],
    Field(
        description="Incident files (or folders) on the server's machine, merged into one timeline. Or give 'incident'."
    ),
]
DateOption = Annotated[str | None, Field(description="YYYY-MM-DD date for times of day without a date.")]
TimezoneOption = Annotated[str | None, Field(description="IANA zone of times without an offset (default UTC).")]
Roster = Annotated[
    dict[str, str] | None,
    Field(description='Owners by role or area, e.g. {"platform": "Dana Ortiz"}; else owners are roles.'),
]

INCIDENT_HINT = (
    "Send the incident in 'incident' as JSON (pm-agent incident, Slack export, PagerDuty log_entries or "
    "Alertmanager webhook) or as a text timeline with one timestamped line per event, "
    "or give the files in 'paths' (not both)."
)
MODEL_NOTE = (
    "Sends the incident text to a model only when one is set up: the Anthropic API when ANTHROPIC_API_KEY is "
    "set, else this client's own model when it offers sampling; otherwise all work stays on this machine."
)
