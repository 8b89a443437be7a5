"""The memory tools: find related past incidents, remember a postmortem, see recurring patterns,
track action items.

Each makes one call into the service (:mod:`pm_agent.service.memory`), which opens the memory on
first use, so start-up never loads the vector store or the embedding model; its text is rendered by
:mod:`pm_agent.render.memory`, as the CLI's is.
"""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Callable
from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import BaseModel, Field

from pm_agent.guards.limits import check_postmortem_size
from pm_agent.mcp_server.context import (
    Progress,
    Service,
    check_paths_allowed,
    in_thread,
    structured,
    tool_errors,
    writing_backend,
)
from pm_agent.mcp_server.params import (
    INCIDENT_HINT,
    MODEL_NOTE,
    DateOption,
    IncidentData,
    IncidentPaths,
    Roster,
    TimezoneOption,
)
from pm_agent.mcp_server.tools import READ_ONLY, drafted_in_stages
from pm_agent.models import Postmortem
from pm_agent.render import memory as render_memory
from pm_agent.render import patterns as render_patterns
from pm_agent.service import MemoryHit, MemoryRecord, PatternsReport, TrackedAction

WRITES = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=False)
REPLACES = ToolAnnotations(read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=False)
"""Storing a newer version of an incident's postmortem replaces the stored one: a destructive update."""
REPLACES_DRAFTED = REPLACES.model_copy(update={"open_world_hint": True})
"""Remembering may first draft the postmortem with the model backend, as draft_postmortem does (see ``MODEL_NOTE``)."""
ID_HINT = "Find stored ids with find_related_incidents, and action ids with list_action_items."
HOW_TO_FILL = "the remember_incident tool stores a finished postmortem"
"""The server's way to fill the memory, ending the sentence every read of an empty memory answers."""


class RelatedIncidents(BaseModel):
    """Past incidents like the one asked about, best first, each with why it matched."""

    hits: list[MemoryHit]


class ActionItems(BaseModel):
    """Action items the memory tracks, overdue first."""

    actions: list[TrackedAction]


async def find_related_incidents(
    service: Service,
    ctx: Context,
    query: Annotated[
        str, Field(description="What to look for, e.g. 'connection pool exhausted after a config change'.")
    ] = "",
    incident_id: Annotated[str, Field(description="The id of an incident already in the memory.")] = "",
    incident: IncidentData = "",
    paths: IncidentPaths = [],  # noqa: B006 - the SDK passes every argument; never mutated
    date: DateOption = None,
    timezone: TimezoneOption = None,
    limit: Annotated[int, Field(ge=1, le=20, description="How many incidents to return.")] = 5,
) -> Annotated[CallToolResult, RelatedIncidents]:
    """Find past incidents in the memory that resemble a description or an incident: same causes, services, words.

    Use it while drafting or reviewing, to learn whether this has happened before and whether the earlier
    actions were done. Give a query, a stored incident_id, or the incident data (any combination). Returns
    the best matches first, each with its id, title, date, score and why it matched (shared cause
    categories, services, contributing factors, terms). Read one in full as resource postmortem://{id}.
    """
    roots = check_paths_allowed(ctx, paths)
    if not (query.strip() or incident_id.strip() or incident.strip() or paths):
        raise ToolError("Say what to look for: a query, a stored incident_id, or the incident data (or its paths).")
    with tool_errors(INCIDENT_HINT):
        given = incident.strip() or paths
        subject = service.incident_from(incident, paths, date=date, timezone=timezone, roots=roots) if given else None
    with tool_errors(ID_HINT):
        hits = await in_thread(
            service.search_memory, query.strip() or None, subject or incident_id.strip() or None, limit
        )
        text = await in_thread(memory_text, service, lambda: render_memory.hits_text(hits))
    return structured(RelatedIncidents(hits=hits), text)


async def remember_incident(
    service: Service,
    ctx: Context,
    postmortem: Annotated[
        Postmortem | None,
        Field(
            description=(
                "A finished postmortem: draft_postmortem's structured result (an object, or its JSON text), as "
                "reviewed and edited; checked against that tool's output schema here."
            )
        ),
    ] = None,
    incident: IncidentData = "",
    paths: IncidentPaths = [],  # noqa: B006
    date: DateOption = None,
    timezone: TimezoneOption = None,
    roster: Roster = None,
) -> Annotated[CallToolResult, MemoryRecord]:
    """Store a postmortem in the incident memory, so later incidents can find it and its actions are tracked.

    Use it once a postmortem is final. Give the postmortem (the structured result of draft_postmortem,
    edited), or the incident data to draft one and store that draft. Storing the same content again changes
    nothing; a newer version of the same incident's postmortem replaces the older one and keeps which actions
    were done. Returns the stored record with its id and action item ids (for mark_action_done).
    """
    roots = check_paths_allowed(ctx, paths)
    if postmortem is not None and (incident.strip() or paths):
        raise ToolError("Give either the postmortem or the incident data to draft one from, not both.")
    if postmortem is not None:
        with tool_errors():
            check_postmortem_size(
                postmortem, max_bytes=service.settings.max_input_bytes, max_events=service.settings.max_events
            )
    progress = Progress(ctx, stages=1 if postmortem is not None else len(REMEMBER_STAGES))
    if postmortem is None:
        with tool_errors(INCIDENT_HINT):
            found = await in_thread(service.incident_from, incident, paths, date=date, timezone=timezone, roots=roots)
        await progress.advance(f"ingest: read {len(found.events)} events from {len(found.sources)} source(s)")
        with tool_errors(), writing_backend(service, ctx) as backend:
            steps = service.draft_steps(found, roster=roster, score=False, backend=backend)
            postmortem = await drafted_in_stages(steps, progress)
    with tool_errors():
        record = await in_thread(service.remember, postmortem)
    await progress.advance(f"stored as {record.id}")
    return structured(record, render_memory.remembered_text(record))


REMEMBER_STAGES = ("ingest", "timeline", "analysis", "store")
"""Progress stages when the postmortem is drafted here; given a finished postmortem, only "store"."""


def list_action_items(
    service: Service,
    overdue: Annotated[bool, Field(description="Only actions past their due date and not done.")] = False,
    include_done: Annotated[bool, Field(description="Also list actions already done.")] = False,
) -> Annotated[CallToolResult, ActionItems]:
    """List the action items of every remembered postmortem, overdue first, with owner, due date and status.

    Use it to follow up on past postmortems or before a review ('were last time's actions done?'). By
    default lists the actions not done yet. Mark one done with mark_action_done.
    """
    with tool_errors():
        actions = service.list_actions(overdue=overdue, include_done=include_done)
        text = memory_text(service, lambda: render_memory.tracked_actions_text(actions))
    return structured(ActionItems(actions=actions), text)


def mark_action_done(
    service: Service,
    action_id: Annotated[str, Field(min_length=1, description="The action's id, e.g. pm-0123456789abcdef.a1.")],
) -> Annotated[CallToolResult, TrackedAction]:
    """Mark one remembered action item as done (marking it again changes nothing).

    Use it when someone confirms an action is complete. Returns the action as now tracked, with the day it
    was marked done. Find ids with list_action_items.
    """
    with tool_errors(ID_HINT):
        action = service.mark_action_done(action_id.strip())
    return structured(action, render_memory.action_done_text(action))


def recurring_patterns(
    service: Service,
    since: Annotated[dt.date | None, Field(description="Only incidents on or after this date (YYYY-MM-DD).")] = None,
) -> Annotated[CallToolResult, PatternsReport]:
    """Reliability patterns across every remembered incident: what keeps happening, and what was promised but not done.

    Use it for a reliability review or before planning work. Returns the cause categories, services and
    contributing factors that recur (with counts and incident ids), repeats of the same service or cause
    within 90 days, the quarterly trend (incidents and median time to resolve), and open or overdue actions;
    the text is Markdown tables with a Mermaid chart.
    """
    with tool_errors():
        report = service.patterns(since=since)
        text = memory_text(service, lambda: render_patterns.render_markdown(report))
    return structured(report, text)


def memory_text(service: Service, text: Callable[[], str]) -> str:
    """The text of what a tool read from the memory; of a memory that holds nothing yet, that it is empty and
    how to fill it (the sentence the CLI says, naming this server's tool)."""
    location = service.empty_memory_at()
    return text() if location is None else render_memory.empty_memory_text(location, HOW_TO_FILL)


MEMORY_TOOLS: tuple[tuple[Callable[..., Any], str, ToolAnnotations], ...] = (
    (find_related_incidents, "Find related past incidents", READ_ONLY),
    (remember_incident, "Remember a postmortem", REPLACES_DRAFTED),
    (recurring_patterns, "Recurring incident patterns", READ_ONLY),
    (list_action_items, "List tracked action items", READ_ONLY),
    (mark_action_done, "Mark an action item done", WRITES),
)


def register(server: MCPServer) -> None:
    """Add the memory tools, each described by its docstring; the one that may hand incident data to a
    model backend says so, like the analysis tools that do."""
    for fn, title, hints in MEMORY_TOOLS:
        description = inspect.cleandoc(fn.__doc__ or "")
        if hints.open_world_hint:
            description = f"{description}\n\n{MODEL_NOTE}"
        server.add_tool(fn, title=title, description=description, annotations=hints)
