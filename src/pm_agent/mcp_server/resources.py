"""Resources: the postmortem template and the rubric (shipped files), and stored incidents and
postmortems by id (``incident://{id}``, ``postmortem://{id}``) from the incident memory.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError

from pm_agent.errors import InputError, NotFoundError, PmAgentError, PromptError
from pm_agent.guards.safe_paths import check_record_id
from pm_agent.mcp_server.arguments import clip
from pm_agent.mcp_server.context import app_state, in_thread
from pm_agent.resources import resource_path

TEMPLATE_URI = "pm-agent://template/postmortem"
RUBRIC_URI = "pm-agent://rubric"
INCIDENT_URI = "incident://{incident_id}"
POSTMORTEM_URI = "postmortem://{incident_id}"
T = TypeVar("T")


def shipped_text(name: str) -> str:
    """The text of ``prompts/<name>``, wherever this installation keeps it."""
    try:
        return resource_path(name).read_text(encoding="utf-8")
    except PromptError as exc:
        raise ResourceError(str(exc)) from exc


def postmortem_template() -> str:
    """The blameless postmortem template: the sections a complete postmortem has, each with guidance."""
    return shipped_text("postmortem_template.md")


def rubric() -> str:
    """The rubric score_postmortem applies: eight weighted criteria, what each score level means, the pass mark."""
    return shipped_text("rubric.json")


async def stored_incident(incident_id: str, ctx: Context) -> str:
    """An incident or postmortem record from the memory, as JSON: title, date, services, causes, actions."""
    record_id = valid_id(incident_id)
    record = await from_memory(app_state(ctx).service.stored_record, record_id)
    return record.model_dump_json(indent=2)


async def stored_postmortem(incident_id: str, ctx: Context) -> str:
    """A remembered postmortem as Markdown, with its action items' status as tracked since."""
    service = app_state(ctx).service
    record_id = valid_id(incident_id)
    return service.render(await from_memory(service.stored_postmortem, record_id))


def valid_id(incident_id: str) -> str:
    """The id of a stored record, or an invalid-params error saying it is no id (a path, a control character...).

    The SDK's template matching already turns away ``..``, absolute paths and NUL bytes, however
    encoded; this also refuses separators and the rest, with a message saying what an id is. A
    malformed id is the caller's mistake, so it is -32602 (as an unknown one is), not an internal error.
    """
    try:
        return check_record_id(incident_id)
    except InputError as exc:
        raise ResourceNotFoundError(clip(str(exc))) from exc


async def from_memory(read: Callable[[str], T], record_id: str) -> T:
    """``read(record_id)``, a service method reading the memory, in a worker thread; an unknown id is
    "not found", any other problem a resource error."""
    try:
        return await in_thread(read, record_id)
    except NotFoundError as exc:
        raise ResourceNotFoundError(f"{exc}; find ids with the find_related_incidents tool") from exc
    except PmAgentError as exc:
        raise ResourceError(str(exc)) from exc


def register(server: MCPServer) -> None:
    server.resource(TEMPLATE_URI, name="postmortem_template", title="Postmortem template", mime_type="text/markdown")(
        postmortem_template
    )
    server.resource(RUBRIC_URI, name="rubric", title="Postmortem rubric", mime_type="application/json")(rubric)
    server.resource(INCIDENT_URI, name="incident", title="Stored incident", mime_type="application/json")(
        stored_incident
    )
    server.resource(POSTMORTEM_URI, name="postmortem", title="Stored postmortem", mime_type="text/markdown")(
        stored_postmortem
    )
