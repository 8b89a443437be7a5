"""A model-written postmortem draft, held to the offline draft's facts and checks.

The model rewrites the prose (summary, root-cause chain, contributing factors, actions,
lessons); the timeline, metrics and impact stay exactly as pm-agent computed them. Then the same
deterministic checks run as on the offline draft: figures not in the input are flagged, blame
language is caught, actions are linted, evidence must cite real events and owners must be given.
Findings become open questions for the review and notes in ``backend_notes``.
"""

from __future__ import annotations

import json

from pydantic import BaseModel, Field

from pm_agent.assisted.checks import (
    action_notes,
    blame_notes,
    generic_lines,
    incident_data,
    keep_cited_evidence,
    known_owners_only,
    marked_open,
    numbered,
    prose_of,
    undated_texts,
)
from pm_agent.backends.base import Backend, Generation, GenerationRequest, generate_or_fallback, is_offline
from pm_agent.ingest.timeparse import format_minutes
from pm_agent.models import ActionItem, Incident, OpenQuestion, Postmortem, WhyChain

DRAFT_TOOL = "record_draft_sections"


class DraftSections(BaseModel):
    """The sections a model rewrites; everything else in the draft stays as pm-agent computed it."""

    summary: str = Field(description="Three to five sentences: what, who, when (UTC), detection, mitigation.")
    root_cause: WhyChain
    contributing_factors: list[str] = Field(default_factory=list)
    action_items: list[ActionItem] = Field(default_factory=list)
    lessons: list[str] = Field(default_factory=list)


def sections_of(postmortem: Postmortem) -> DraftSections:
    """The rewritable sections of a draft."""
    return DraftSections(
        summary=postmortem.summary,
        root_cause=postmortem.root_cause or WhyChain(problem=postmortem.title, branches=[]),
        contributing_factors=postmortem.contributing_factors,
        action_items=postmortem.action_items,
        lessons=postmortem.lessons,
    )


def draft_request(incident: Incident, offline: Postmortem) -> GenerationRequest[DraftSections]:
    """The request for a model-written draft (also what an MCP ``Resolve`` sampling resolver sends)."""
    sections = sections_of(offline)
    facts = {
        "sections": json.loads(sections.model_dump_json(exclude={"root_cause": {"generated_by", "backend_notes"}})),
        "findings": [f.statement for f in offline.findings],
        "metrics": [
            {
                "metric": m.label,
                "value": format_minutes(m.minutes) if m.minutes is not None else "unknown",
                "basis": m.basis,
            }
            for m in offline.metrics
        ],
        "what_went_well": offline.what_went_well,
        "open_questions": [q.question for q in offline.open_questions],
    }
    return GenerationRequest(
        prompt="draft",
        output=DraftSections,
        tool_name=DRAFT_TOOL,
        tool_description="Record the rewritten postmortem sections.",
        variables={
            "incident_date": offline.date.isoformat() if offline.date else "the incident date",
            "tool": DRAFT_TOOL,
        },
        data={
            "incident": incident_data(incident, offline.timeline or None),
            "offline_draft": json.dumps(facts, indent=1, ensure_ascii=False),
        },
        offline=sections,
    )


def assisted_draft(incident: Incident, offline_postmortem: Postmortem, backend: Backend) -> Postmortem:
    """The offline draft rewritten by ``backend`` and checked; the offline draft itself on failure."""
    if is_offline(backend):
        return offline_postmortem
    generation = generate_or_fallback(backend, draft_request(incident, offline_postmortem))
    if generation.fell_back:
        return offline_postmortem.model_copy(
            update={
                "generated_by": generation.generated_by,
                "backend_notes": [*offline_postmortem.backend_notes, *generation.notes],
                "usage": generation.usage if generation.usage.calls else None,
            }
        )
    return checked_draft(incident, offline_postmortem, _merged(incident, offline_postmortem, generation))


def _merged(incident: Incident, offline: Postmortem, generation: Generation[DraftSections]) -> Postmortem:
    sections = generation.value
    chain, evidence_notes = keep_cited_evidence(sections.root_cause, offline.timeline, undated_texts(incident))
    base = offline.root_cause
    chain = chain.model_copy(
        update={
            "generated_by": generation.generated_by,
            "services": chain.services or (base.services if base else []),
            "severity": chain.severity or (base.severity if base else None),
        }
    )
    allowed = [a.owner for a in offline.action_items if a.owner] + [e.actor for e in offline.timeline if e.actor]
    actions, owner_notes = known_owners_only(numbered(sections.action_items), allowed)
    return offline.model_copy(
        update={
            "summary": sections.summary,
            "root_cause": chain,
            "contributing_factors": sections.contributing_factors,
            "action_items": actions,
            "lessons": sections.lessons,
            "generated_by": generation.generated_by,
            "usage": generation.usage,
            "backend_notes": [*offline.backend_notes, *generation.notes, *evidence_notes, *owner_notes],
        }
    )


def checked_draft(incident: Incident, offline: Postmortem, draft: Postmortem) -> Postmortem:
    """``draft`` after the offline draft's own checks, findings added as open questions and notes.

    Every causal statement must cite an input event or say it is open: what the model states without
    a citation is kept, marked to confirm. Lines that name nothing of this incident are flagged.
    """
    from pm_agent.analysis.drafting import cause_questions
    from pm_agent.guards.fidelity import unsupported_numbers
    from pm_agent.render.postmortem import render_markdown

    draft, claim_notes = marked_open(draft, incident)
    questions = [q for q in offline.open_questions if not q.topic.startswith(("root cause", "systemic cause"))]
    questions += cause_questions(draft)
    notes = [*draft.backend_notes, *claim_notes]
    generic = generic_lines(draft, incident)
    if generic:
        questions.append(
            OpenQuestion(
                topic="analysis: not specific",
                question="These lines name nothing of this incident; make them specific or drop them: "
                + " | ".join(generic[:5]),
            )
        )
        notes.append(f"{len(generic)} line(s) of analysis name nothing of this incident.")
    unsupported = unsupported_numbers(render_markdown(draft.model_copy(update={"score": None})), incident, draft)
    if unsupported:
        text = (
            f"The model-written draft states {', '.join(unsupported)}, which the incident data does not contain: "
            "where does each come from? Remove any that cannot be sourced."
        )
        questions.append(OpenQuestion(topic="fidelity: unsupported figures", question=text))
        notes.append(f"Unsupported figures: {', '.join(unsupported)}.")
    blame = blame_notes(prose_of(draft))
    if blame:
        questions.append(
            OpenQuestion(topic="blameless language", question="Rephrase toward the system: " + " | ".join(blame))
        )
        notes += blame
    lint = action_notes(draft.action_items)
    if lint:
        questions.append(OpenQuestion(topic="actions: SMART", question="Sharpen these actions: " + " | ".join(lint)))
        notes += lint
    checked = draft.model_copy(update={"open_questions": questions, "backend_notes": notes})
    if offline.score is not None:
        from pm_agent.analysis.drafting import with_score

        checked = with_score(checked)
    return checked
