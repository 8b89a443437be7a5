"""Model-written 5 Whys, blameless rewrites and actions, each checked and falling back to offline.

Every function takes the offline result and a backend, and returns the model's result when it
passes the deterministic checks, or the offline one with a note saying why.
"""

from __future__ import annotations

import json
import logging

from pydantic import BaseModel, Field

from pm_agent.assisted.checks import (
    action_notes,
    blame_notes,
    chain_texts,
    generic_lines,
    incident_data,
    keep_cited_evidence,
    known_owners_only,
    marked_open,
    numbered,
    undated_texts,
    unsupported_figures,
)
from pm_agent.backends.base import Backend, Generation, GenerationRequest, generate_or_fallback, is_offline
from pm_agent.models import ActionItem, ActionLint, BlamelessReport, Incident, Postmortem, Usage, WhyChain

log = logging.getLogger("pm_agent.assisted")
WHYS_TOOL = "record_why_chain"
REWRITE_TOOL = "record_blameless_text"
ACTIONS_TOOL = "record_actions"


# --- 5 Whys -------------------------------------------------------------------------------------
def five_whys_request(problem: str, incident: Incident | None, offline: WhyChain) -> GenerationRequest[WhyChain]:
    """The request for a model-written why-chain."""
    return GenerationRequest(
        prompt="five_whys",
        output=WhyChain,
        tool_name=WHYS_TOOL,
        tool_description="Record the Five Whys chain.",
        variables={"tool": WHYS_TOOL},
        data={
            "problem": problem,
            "incident": incident_data(incident) if incident else "(no incident data given)",
            "offline_chain": offline.model_dump_json(indent=1, exclude={"generated_by", "backend_notes"}),
        },
        offline=offline,
    )


def assisted_five_whys(problem: str, incident: Incident | None, offline_chain: WhyChain, backend: Backend) -> WhyChain:
    """A why-chain written by ``backend``: evidence must cite input events, no blame, no new figures."""
    if is_offline(backend):
        return offline_chain
    generation = generate_or_fallback(backend, five_whys_request(problem, incident, offline_chain))
    if generation.fell_back:
        return offline_chain.model_copy(
            update={"generated_by": generation.generated_by, "backend_notes": list(generation.notes)}
        )
    chain, notes = keep_cited_evidence(
        generation.value, incident.events if incident else [], undated_texts(incident) if incident else ()
    )
    notes += blame_notes(chain_texts(chain))
    if incident is not None:
        figures = unsupported_figures(chain_texts(chain), incident)
        if figures:
            notes.append(f"Unsupported figures (not in the incident data): {', '.join(figures)}.")
        holder = Postmortem(incident_id=incident.id, title=problem, summary="", root_cause=chain)
        checked, claim_notes = marked_open(holder, incident)
        chain, notes = checked.root_cause or chain, notes + claim_notes
        generic = generic_lines(holder, incident)  # a stamped template cause fits any incident: flagged, as in a draft
        if generic:
            notes.append(
                f"{len(generic)} line(s) of analysis name nothing of this incident: " + " | ".join(generic[:5])
            )
    return chain.model_copy(
        update={
            "generated_by": generation.generated_by,
            "backend_notes": [*generation.notes, *notes],
            "services": chain.services or offline_chain.services,
            "severity": chain.severity or offline_chain.severity,
        }
    )


# --- blameless rewrite --------------------------------------------------------------------------
class BlamelessText(BaseModel):
    """A passage rewritten without blame, every fact kept."""

    rewritten: str = Field(description="The whole passage, rewritten.")


def rewrite_request(text: str, offline: BlamelessReport) -> GenerationRequest[BlamelessText]:
    return GenerationRequest(
        prompt="blameless_rewrite",
        output=BlamelessText,
        tool_name=REWRITE_TOOL,
        tool_description="Record the rewritten passage.",
        variables={"tool": REWRITE_TOOL},
        data={"text": text},
        offline=BlamelessText(rewritten=offline.rewritten),
    )


def assisted_rewrite(text: str, offline_report: BlamelessReport, backend: Backend) -> BlamelessReport:
    """The model's rewrite when it removes all blame and keeps every figure; else the offline rewrite."""
    if is_offline(backend):
        return offline_report
    generation = generate_or_fallback(backend, rewrite_request(text, offline_report))
    if generation.fell_back:
        return offline_report.model_copy(
            update={"generated_by": generation.generated_by, "backend_notes": list(generation.notes)}
        )
    rewritten = generation.value.rewritten
    problems = _rewrite_problems(text, rewritten)
    if problems:
        reason = f"{generation.backend} rewrite rejected"
        log.warning("%s; keeping the offline rewrite: %s", reason, " ".join(problems))
        return offline_report.model_copy(
            update={"generated_by": f"offline (fallback: {reason})", "backend_notes": [*generation.notes, *problems]}
        )
    return BlamelessReport(
        original=text,
        rewritten=rewritten,
        findings=offline_report.findings,
        generated_by=generation.generated_by,
        backend_notes=list(generation.notes),
    )


def _rewrite_problems(original: str, rewritten: str) -> list[str]:
    from pm_agent.guards.fidelity import numbers_in

    problems = [f"The model's rewrite kept blame: {note}" for note in blame_notes([rewritten])]
    added = sorted(numbers_in(rewritten) - numbers_in(original), key=float)
    lost = sorted(numbers_in(original) - numbers_in(rewritten), key=float)
    if added:
        problems.append(f"The model's rewrite added figures: {', '.join(added)}.")
    if lost:
        problems.append(f"The model's rewrite dropped figures: {', '.join(lost)}.")
    return problems


# --- actions ------------------------------------------------------------------------------------
class ActionProposals(BaseModel):
    """SMART actions for the incident's causes."""

    action_items: list[ActionItem]


class ActionPlan(BaseModel):
    """Proposed actions, their SMART lint, and which backend wrote them."""

    action_items: list[ActionItem]
    lint: list[ActionLint] = Field(default_factory=list)
    generated_by: str = "offline"
    backend_notes: list[str] = Field(default_factory=list)
    usage: Usage | None = None


def actions_request(incident: Incident, offline: Postmortem) -> GenerationRequest[ActionProposals]:
    branches = offline.root_cause.branches if offline.root_cause else []
    causes = [branch.root_cause for branch in branches]
    open_questions = [s.question for b in branches for s in b.steps if s.question]
    open_questions += [b.root_cause_question for b in branches if b.root_cause_question]
    return GenerationRequest(
        prompt="actions",
        output=ActionProposals,
        tool_name=ACTIONS_TOOL,
        tool_description="Record the proposed actions.",
        variables={
            "incident_date": offline.date.isoformat() if offline.date else "the incident date",
            "tool": ACTIONS_TOOL,
        },
        data={
            "incident": incident_data(incident, offline.timeline or None),
            "causes": json.dumps(
                {
                    "root_causes": causes,
                    "contributing_factors": offline.contributing_factors,
                    "open_questions": open_questions,
                },
                indent=1,
                ensure_ascii=False,
            ),
            "offline_actions": json.dumps([a.model_dump(mode="json") for a in offline.action_items], indent=1),
        },
        offline=ActionProposals(action_items=offline.action_items),
    )


def assisted_actions(incident: Incident, offline_postmortem: Postmortem, backend: Backend) -> ActionPlan:
    """Actions for the draft's causes written by ``backend``, owners checked, linted like a user's."""
    from pm_agent.analysis.actions.smart import lint_actions

    offline_items = offline_postmortem.action_items
    if is_offline(backend):
        return ActionPlan(action_items=offline_items, lint=lint_actions(offline_items))
    generation: Generation[ActionProposals] = generate_or_fallback(
        backend, actions_request(incident, offline_postmortem)
    )
    if generation.fell_back:
        return ActionPlan(
            action_items=offline_items,
            lint=lint_actions(offline_items),
            generated_by=generation.generated_by,
            backend_notes=list(generation.notes),
            usage=generation.usage if generation.usage.calls else None,
        )
    allowed = [a.owner for a in offline_items if a.owner] + [e.actor for e in incident.events if e.actor]
    items, owner_notes = known_owners_only(numbered(generation.value.action_items), allowed)
    notes = [*generation.notes, *owner_notes, *action_notes(items)]
    figures = unsupported_figures([f"{a.title} {a.done_when}" for a in items], incident)
    if figures:
        notes.append(f"Unsupported figures (not in the incident data): {', '.join(figures)}.")
    return ActionPlan(
        action_items=items,
        lint=lint_actions(items),
        generated_by=generation.generated_by,
        backend_notes=notes,
        usage=generation.usage,
    )
