"""Prompts: a guided postmortem review and a 5 Whys session, each naming the tools to call."""

from __future__ import annotations

import inspect
from typing import Annotated

from mcp.server.mcpserver import MCPServer
from pydantic import Field

from pm_agent.mcp_server.resources import TEMPLATE_URI

GUIDED_STEPS = """\
Work through these steps one at a time. After each, show what you found and ask me to confirm or correct
it before moving on. Stay blameless throughout: causes are conditions of the system, never a person.

1. Timeline. Call draft_postmortem with the incident data. Show the UTC timeline with its phases (trigger,
   detection, escalation, diagnosis, mitigation, resolution) and the detection and response metrics.
   Ask me about every event marked undated and every metric marked unknown. Call find_related_incidents
   with the same data and tell me if this has happened before and whether those actions were done.
2. Impact. List the impact figures exactly as the data states them. For every dimension the draft leaves
   unknown (users, requests, revenue, SLA, support tickets), ask me; never estimate one.
3. 5 Whys. Call five_whys on the problem as users saw it. Walk through each branch with me, confirm or
   replace every step marked 'to confirm', and call review_why_chain on the chain we settle on.
4. Actions. Call propose_actions (with a roster if I give you names), then check_actions on the final
   list. Every action needs a named owner, a due date and a measurable done-when; prefer actions that
   remove the hazard over ones that add a checklist or training.
5. Review. Call rewrite_blameless on the full text and apply its suggestions, then score_postmortem and
   fix what the lowest criteria ask for. Offer fishbone for the review meeting. The structure to follow
   is the resource {template}. When I approve the final version, call remember_incident with it.
"""


def guided_postmortem(
    incident: Annotated[
        str, Field(description="The incident data, or where to find it (file paths, a channel name).")
    ] = "",
    audience: Annotated[str, Field(description="Who will read the postmortem.")] = "engineering",
) -> str:
    """A guided blameless postmortem: timeline, impact, 5 Whys, actions, review, one confirmed step at a time."""
    source = f"The incident data: {incident}" if incident.strip() else "Ask me for the incident data first."
    return f"Help me write a blameless postmortem for {audience} readers. {source}\n\n" + GUIDED_STEPS.format(
        template=TEMPLATE_URI
    )


FIVE_WHYS_STEPS = """\
Run a 5 Whys session with me, one question at a time:
- Ask "why did that happen?" and wait for my answer before the next why.
- After each answer, call review_why_chain with the chain so far; if it stops at a person ("the engineer
  forgot"), at something vague ("a bug") or at bad luck, use its next questions to go one level deeper:
  what in the system allowed it, and why did no safeguard catch it?
- Where there are several causes, keep one branch per cause.
- Stop when a cause is something the organisation can change (a missing safeguard, test, alert,
  process, capacity limit, design limit or dependency isolation), usually after about five whys.
- End with the chain, its root cause and kind, and which steps still need evidence.
"""


def five_whys_session(
    problem: Annotated[str, Field(description="What went wrong, as users saw it.")],
    incident: Annotated[str, Field(description="Incident data to cite as evidence, if any.")] = "",
) -> str:
    """An interactive 5 Whys session that keeps asking until it reaches a systemic cause, never a person."""
    start = (
        f"First call five_whys with the problem and this incident data, and use its evidence: {incident}\n\n"
        if incident.strip()
        else ""
    )
    return f"The problem: {problem}\n\n{start}{FIVE_WHYS_STEPS}"


def register(server: MCPServer) -> None:
    for fn, title in ((guided_postmortem, "Guided postmortem"), (five_whys_session, "5 Whys session")):
        server.prompt(title=title, description=inspect.cleandoc(fn.__doc__ or ""))(fn)
