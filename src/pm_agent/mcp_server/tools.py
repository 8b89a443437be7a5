"""The analysis tools: each one validates typed arguments, makes one service call, and returns
the result model as structured content plus the same readable text the CLI prints.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import Field

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
from pm_agent.mcp_server.results import ActionCheck, ProposedActions
from pm_agent.models import (
    ActionItem,
    BlamelessReport,
    ChainReview,
    Fishbone,
    Incident,
    Postmortem,
    RubricResult,
    WhyChain,
)
from pm_agent.render import analysis as render_analysis
from pm_agent.service import PostmortemService

READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)
MODEL_BACKED = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=True)
"""Tools that hand the incident to a model backend when one is set up (see ``MODEL_NOTE``)."""


async def draft_postmortem(
    service: Service,
    ctx: Context,
    incident: IncidentData = "",
    paths: IncidentPaths = [],  # noqa: B006 - the SDK passes every argument; never mutated
    date: DateOption = None,
    timezone: TimezoneOption = None,
    roster: Roster = None,
    output_format: Annotated[
        Literal["markdown", "json"], Field(description="Format of the readable text: Markdown or JSON.")
    ] = "markdown",
) -> Annotated[CallToolResult, Postmortem]:
    """Draft a complete blameless postmortem from an incident's raw data (alerts, chat, pages, deploys, notes).

    Use this first when an incident has closed and someone wants its postmortem. Works offline and
    never invents a figure, time, owner or root cause: what the data cannot support becomes an open
    question. Returns the postmortem (summary, impact, UTC timeline with phases, detection and
    response metrics, 5 Whys, contributing factors, SMART action items, lessons, open questions, rubric
    score) as structured content, and as Markdown ready to paste. Follow up with five_whys,
    check_actions or rewrite_blameless while reviewing, and remember_incident once it is final.
    """
    roots = check_paths_allowed(ctx, paths)
    progress = Progress(ctx, stages=len(DRAFT_STAGES))
    with tool_errors(INCIDENT_HINT):
        found = await in_thread(service.incident_from, incident, paths, date=date, timezone=timezone, roots=roots)
    await progress.advance(f"ingest: read {len(found.events)} events from {len(found.sources)} source(s)")
    with tool_errors(), writing_backend(service, ctx) as backend:
        steps = service.draft_steps(found, roster=roster, backend=backend)
        postmortem = await drafted_in_stages(steps, progress)
    text = await in_thread(service.render, postmortem, output_format)
    await progress.advance("render: done")
    return structured(postmortem, text)


DRAFT_STAGES = ("ingest", "timeline", "score", "analysis", "render")


async def drafted_in_stages(steps: Iterator[tuple[str, Postmortem]], progress: Progress) -> Postmortem:
    """The last postmortem of ``service.draft_steps``, each stage run in a worker thread and reported.

    The steps are closed however this ends, so a cancelled call lets go of the drafting (its
    ``finally`` blocks run now, not whenever the generator is garbage-collected).
    """
    with closing(steps):
        postmortem = None
        while (step := await in_thread(next, steps, None)) is not None:
            stage, postmortem = step
            await progress.advance(stage_message(stage, postmortem))
    assert postmortem is not None  # draft_steps yields at least once
    return postmortem


def stage_message(stage: str, postmortem: Postmortem) -> str:
    """The progress message after one drafting stage, starting with the stage's name."""
    if stage == "timeline":
        return f"timeline: {len(postmortem.timeline)} events, offline analysis drafted"
    if stage == "score" and postmortem.score:
        return f"score: {postmortem.score.weighted_average:.2f} / 5"
    return f"analysis: written by {postmortem.generated_by or 'the offline engine'}"


async def five_whys(
    service: Service,
    ctx: Context,
    problem: Annotated[
        str, Field(description="What went wrong, as users saw it, e.g. 'checkout returned 502s for 40 minutes'.")
    ] = "",
    incident: IncidentData = "",
    paths: IncidentPaths = [],  # noqa: B006
    facts: Annotated[list[str], Field(description="Facts already established, one per item.")] = [],  # noqa: B006
    date: DateOption = None,
    timezone: TimezoneOption = None,
) -> Annotated[CallToolResult, WhyChain]:
    """Run a 5 Whys analysis: a chain of why/because steps ending at a systemic cause, never at a person.

    Use it to dig into why an incident happened. Give the problem, the incident data, or both (without a
    problem, the incident's title is used). Steps backed by an incident event cite it as evidence; the
    others are hypotheses marked to confirm. Returns one branch per distinct cause with its root cause and
    kind (safeguard, test, alert, process, capacity, design, dependency). To check a chain a person wrote,
    use review_why_chain instead.
    """
    roots = check_paths_allowed(ctx, paths)
    with tool_errors(INCIDENT_HINT if incident or paths else "Send a problem statement or the incident data."):
        found = await in_thread(optional_incident, service, incident, paths, date, timezone, roots)
    with tool_errors("Send a problem statement or the incident data."), writing_backend(service, ctx) as backend:
        statement = problem or (found.title if found else "")
        chain = await in_thread(service.five_whys, statement, found, facts, backend=backend)
    return structured(chain, render_analysis.why_chain_text(chain))


def optional_incident(
    service: PostmortemService, data: str, paths: list[str], date: str | None, timezone: str | None, roots: list[Path]
) -> Incident | None:
    return (
        service.incident_from(data, paths, date=date, timezone=timezone, roots=roots) if data.strip() or paths else None
    )


def review_why_chain(
    service: Service,
    steps: Annotated[
        list[str],
        Field(min_length=1, description="The chain's causes in order, one 'because' per item, first to last."),
    ],
) -> Annotated[CallToolResult, ChainReview]:
    """Review a 5 Whys chain someone wrote: say whether it reaches a systemic cause or stops at a person or a vague one.

    Use it in a 5 Whys session after each answer, or on a chain pasted from a document. Returns a verdict
    (ok), findings (e.g. 'stops at a person', 'too vague') and the next questions to ask.
    """
    with tool_errors("Send the chain's causes as a list of strings, one 'because' per item."):
        review = service.review_chain(steps)
    return structured(review, render_analysis.chain_review_text(review))


async def rewrite_blameless(
    service: Service,
    ctx: Context,
    text: Annotated[str, Field(min_length=1, description="The text to check: a postmortem, a section or a note.")],
) -> Annotated[CallToolResult, BlamelessReport]:
    """Find blame language in a text and rewrite it toward the system, keeping every time, number and name.

    Use it on any postmortem text before it is shared. Finds people named as causes, counterfactuals
    ('should have'), character judgements, 'human error', hindsight and blame by role. Returns each
    finding (character span, category, why it hurts, a system-focused suggestion) and the rewritten text.
    """
    with tool_errors(), writing_backend(service, ctx) as backend:
        report = await in_thread(service.rewrite_blameless, text, backend=backend)
    return structured(report, render_analysis.blameless_text(report))


async def propose_actions(
    service: Service,
    ctx: Context,
    incident: IncidentData = "",
    paths: IncidentPaths = [],  # noqa: B006
    date: DateOption = None,
    timezone: TimezoneOption = None,
    roster: Roster = None,
) -> Annotated[CallToolResult, ProposedActions]:
    """Propose SMART corrective and preventive actions for an incident's root causes and contributing factors.

    Use it when the postmortem needs action items, or to get more than draft_postmortem listed. Each action
    has a specific title, a measurable done-when, an owner (a role, or a name from the roster), a due date
    by horizon, a priority and its level in the prevention hierarchy (eliminate first, training last).
    Check actions people wrote with check_actions instead.
    """
    roots = check_paths_allowed(ctx, paths)
    progress = Progress(ctx, stages=2)
    with tool_errors(INCIDENT_HINT):
        found = await in_thread(service.incident_from, incident, paths, date=date, timezone=timezone, roots=roots)
    await progress.advance(f"read {len(found.events)} events")
    with tool_errors(), writing_backend(service, ctx) as backend:
        actions = await in_thread(service.propose_actions, found, roster, backend=backend)
    await progress.advance(f"proposed {len(actions)} actions")
    result = ProposedActions(incident_id=found.id, actions=actions)
    return structured(result, render_analysis.actions_text(actions))


def check_actions(
    service: Service,
    actions: Annotated[
        list[ActionItem | str],
        Field(
            min_length=1,
            description=(
                "The action items: objects with at least a 'title' (and 'owner', 'due' as YYYY-MM-DD, "
                "'done_when'...), or plain strings, one action each."
            ),
        ),
    ],
) -> Annotated[CallToolResult, ActionCheck]:
    """Check action items against SMART: specific, owned by a person, with a measure and a due date.

    Use it on actions a person wrote, before the postmortem is final. Flags vague titles, missing or
    team owners, no due date, no measure of done, and training-only actions. Returns each action's
    problems and whether all of them pass (all_smart).
    """
    items = [ActionItem(title=a) if isinstance(a, str) else a for a in actions]
    with tool_errors("Send each action as an object with a 'title', or as a string."):
        checks = service.check_actions(items)
    result = ActionCheck(all_smart=all(c.smart for c in checks), checks=checks)
    return structured(result, render_analysis.action_lints_text(checks))


def score_postmortem(
    service: Service,
    markdown: Annotated[str, Field(min_length=1, description="The postmortem, as Markdown or plain text.")],
) -> Annotated[CallToolResult, RubricResult]:
    """Score any postmortem against pm-agent's rubric: eight weighted criteria, 1 to 5 each, pass at 3.5.

    Use it to review a postmortem a team wrote, or a draft after editing. Returns each criterion's score,
    the evidence found and what would raise it, plus the weighted average and pass verdict. The rubric
    itself is the resource pm-agent://rubric.
    """
    with tool_errors("Send the postmortem's full text in 'markdown'."):
        result = service.score(markdown)
    return structured(result, render_analysis.rubric_text(result))


async def fishbone(
    service: Service,
    ctx: Context,
    incident: IncidentData = "",
    paths: IncidentPaths = [],  # noqa: B006
    date: DateOption = None,
    timezone: TimezoneOption = None,
    fault_tree: Annotated[bool, Field(description="Also render a fault tree with AND/OR gates.")] = False,
) -> Annotated[CallToolResult, Fishbone]:
    """Group an incident's causes and contributing factors into a fishbone (Ishikawa) diagram.

    Use it to show a review meeting the whole picture at once. Categories are People, Process, Technology
    and Environment; the text is Markdown with a Mermaid diagram (and a fault tree when asked).
    """
    roots = check_paths_allowed(ctx, paths)
    progress = Progress(ctx, stages=2)
    with tool_errors(INCIDENT_HINT):
        found = await in_thread(service.incident_from, incident, paths, date=date, timezone=timezone, roots=roots)
    await progress.advance(f"read {len(found.events)} events")
    with tool_errors():
        diagram = await in_thread(service.fishbone, found, fault_tree=fault_tree)
    await progress.advance("grouped the causes")
    return structured(diagram, render_analysis.fishbone_text(diagram))


TOOLS: tuple[tuple[Callable[..., Any], str], ...] = (
    (draft_postmortem, "Draft a blameless postmortem"),
    (five_whys, "5 Whys analysis"),
    (review_why_chain, "Review a 5 Whys chain"),
    (rewrite_blameless, "Rewrite blame language"),
    (propose_actions, "Propose SMART action items"),
    (check_actions, "Check action items against SMART"),
    (score_postmortem, "Score a postmortem against the rubric"),
    (fishbone, "Fishbone diagram of causes"),
)


MAY_USE_A_MODEL = {draft_postmortem, five_whys, rewrite_blameless, propose_actions}


def register(server: MCPServer, tools: tuple[tuple[Callable[..., Any], str], ...] = TOOLS) -> None:
    """Add the tools, read-only and idempotent, each described by its docstring; those that may hand the
    incident to a model backend say so, and are marked open-world."""
    for fn, title in tools:
        description = inspect.cleandoc(fn.__doc__ or "")
        if fn in MAY_USE_A_MODEL:
            server.add_tool(fn, title=title, description=f"{description}\n\n{MODEL_NOTE}", annotations=MODEL_BACKED)
        else:
            server.add_tool(fn, title=title, description=description, annotations=READ_ONLY)
