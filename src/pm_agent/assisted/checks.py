"""The deterministic checks a model's answer goes through, the same ones the offline draft passes.

A model may phrase things better than the rules; it may not cite evidence the input lacks, state
figures the input lacks, blame people, or name owners nobody gave. These functions find such
answers and turn them into notes (and, where a fact would be invented, undo it).
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from pm_agent.models import ActionItem, Evidence, Incident, Postmortem, TimelineEvent, WhyChain

MAX_EVENTS_IN_PROMPT = 800


def incident_data(incident: Incident, timeline: list[TimelineEvent] | None = None) -> str:
    """The incident as the JSON data block a model reads: facts, key times, phased timeline, impact quotes.

    Each event carries the ``tags`` the offline engine read in it (symptom, alert, report, finding, cause_statement,
    change, mitigation, failed, worked, recovery, ...), the same evidence every offline section rests on. Very long
    incidents keep every non-chat event and as many chat messages as fit, and say so.
    """
    from pm_agent.analysis.tagging import tags_of

    events = timeline if timeline is not None else incident.events
    kept = _bounded(events)
    document = {
        "id": incident.id,
        "title": incident.title,
        "severity": incident.severity,
        "services": incident.services,
        **{
            name: _iso(getattr(incident, name))
            for name in ("started_at", "detected_at", "acknowledged_at", "mitigated_at", "resolved_at")
        },
        "events": [
            {
                "at": _iso(e.at),
                "source": e.source,
                "phase": e.phase,
                "tags": sorted(tags_of(e.text, e.source)),
                "actor": e.actor,
                "text": e.text,
            }
            for e in kept
        ],
        "undated_events": [
            {"source": u.source, "time_text": u.time_text, "tags": sorted(tags_of(u.text, u.source)), "text": u.text}
            for u in incident.undated_events
        ],
        "impact_as_stated": [{"kind": f.kind, "quote": f.quote} for f in incident.impact.figures()],
        "notes": incident.notes,
    }
    if len(kept) < len(events):
        document["events_omitted"] = len(events) - len(kept)
    return json.dumps(document, indent=1, ensure_ascii=False)


def _bounded(events: list[TimelineEvent]) -> list[TimelineEvent]:
    if len(events) <= MAX_EVENTS_IN_PROMPT:
        return events
    key = [e for e in events if e.source != "chat" or e.phase]
    chat = [e for e in events if not (e.source != "chat" or e.phase)]
    room = max(0, MAX_EVENTS_IN_PROMPT - len(key))
    chosen = key[:MAX_EVENTS_IN_PROMPT] + chat[:room]
    return sorted(chosen, key=lambda e: e.at)


def _iso(moment) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


# --- evidence ---------------------------------------------------------------------------------
def keep_cited_evidence(
    chain: WhyChain, events: list[TimelineEvent], undated: Iterable[str] = ()
) -> tuple[WhyChain, list[str]]:
    """The chain with only evidence that cites a real input event (same time and source), or, for evidence without
    a time, words of an undated event or of the notes (``undated``).

    An excerpt that is not verbatim in the event is replaced by the event's own text; a step left
    without evidence becomes a hypothesis to confirm.
    """
    undated_texts = [_normal(text) for text in undated]
    by_key: dict[tuple, list[TimelineEvent]] = {}
    for event in events:
        by_key.setdefault((event.at, event.source), []).append(event)
    dropped = 0
    branches = []
    for branch in chain.branches:
        steps = []
        for step in branch.steps:
            evidence = []
            for cited in step.evidence:
                if cited.at is None:
                    if any(_normal(cited.excerpt) in text for text in undated_texts):
                        evidence.append(cited)
                    else:
                        dropped += 1
                    continue
                real = _matching_event(cited, by_key)
                if real is None:
                    dropped += 1
                    continue
                excerpt = cited.excerpt if _normal(cited.excerpt) in _normal(real.text) else real.text
                evidence.append(cited.model_copy(update={"excerpt": excerpt}))
            steps.append(step.model_copy(update={"evidence": evidence, "hypothesis": step.hypothesis or not evidence}))
        branches.append(branch.model_copy(update={"steps": steps}))
    to_confirm = any(step.hypothesis for branch in branches for step in branch.steps)
    notes = []
    if dropped:
        notes.append(
            f"Removed {dropped} evidence citation(s) that match no input event; those steps are marked to confirm."
        )
    return chain.model_copy(update={"branches": branches, "to_confirm": to_confirm}), notes


def _matching_event(cited: Evidence, by_key: dict[tuple, list[TimelineEvent]]) -> TimelineEvent | None:
    candidates = by_key.get((cited.at, cited.source), [])
    excerpt = _normal(cited.excerpt)
    return next(
        (e for e in candidates if excerpt and excerpt in _normal(e.text)), candidates[0] if candidates else None
    )


def _normal(text: str) -> str:
    return " ".join(text.lower().replace('"', "'").split())


def undated_texts(incident: Incident) -> list[str]:
    """The texts an undated citation may quote: the undated events and the notes."""
    return [u.text for u in incident.undated_events] + [incident.notes]


# --- blame, figures, actions, owners -----------------------------------------------------------
def blame_notes(texts: Iterable[str]) -> list[str]:
    """One note per blame finding in ``texts``: the words, the category and a system-focused alternative."""
    from pm_agent.analysis.blameless.rewrite import detect_blame

    notes = []
    for text in texts:
        for finding in detect_blame(text):
            notes.append(
                f'Blame language "{finding.text}" ({finding.category.replace("_", " ")}): {finding.suggestion}'
            )
    return notes


def chain_texts(chain: WhyChain | None) -> list[str]:
    if chain is None:
        return []
    texts = [chain.problem]
    for branch in chain.branches:
        texts += [branch.root_cause] + [f"{step.why} {step.because}" for step in branch.steps]
    return texts


def prose_of(postmortem: Postmortem) -> list[str]:
    """The model-written prose of a draft: summary, causes, factors, actions, lessons."""
    actions = [f"{a.title}. {a.done_when}" for a in postmortem.action_items]
    return [
        postmortem.summary,
        *chain_texts(postmortem.root_cause),
        *postmortem.contributing_factors,
        *actions,
        *postmortem.lessons,
    ]


def action_notes(actions: list[ActionItem]) -> list[str]:
    """One note per action that is not SMART, from the same linter users run."""
    from pm_agent.analysis.actions.smart import lint_actions

    notes = []
    for lint in lint_actions(actions):
        if lint.problems:
            problems = "; ".join(p.message for p in lint.problems)
            notes.append(f"Action {lint.action.id or lint.action.title!r} is not SMART yet: {problems}")
    return notes


def unsupported_figures(texts: Iterable[str], incident: Incident) -> list[str]:
    """Numbers in ``texts`` that the incident data does not support, sorted."""
    from pm_agent.guards.fidelity import numbers_in, supported_numbers

    found: set[str] = set()
    for text in texts:
        found |= numbers_in(text)
    return sorted(found - supported_numbers(incident), key=float)


def known_owners_only(actions: list[ActionItem], allowed: Iterable[str]) -> tuple[list[ActionItem], list[str]]:
    """Actions whose owner nobody gave lose it (left to assign), with a note: owners are never invented."""
    known = {_normal(name) for name in allowed if name}
    kept, notes = [], []
    for action in actions:
        if action.owner and _normal(action.owner) not in known:
            notes.append(
                f"Owner {action.owner!r} of {action.title!r} is not in the input or the roster; left to assign."
            )
            action = action.model_copy(update={"owner": None})
        kept.append(action)
    return kept, notes


def numbered(actions: list[ActionItem]) -> list[ActionItem]:
    """Actions with ids ``A1``, ``A2``... where the model left them empty or repeated them."""
    seen: set[str] = set()
    out = []
    for index, action in enumerate(actions, start=1):
        if not action.id or action.id in seen:
            action = action.model_copy(update={"id": f"A{index}"})
        seen.add(action.id)
        out.append(action)
    return out


# --- claims: cited or marked open, and about this incident ------------------------------------
HYPOTHESIS_MARK = "Hypothesis (to confirm): "


def marked_open(postmortem: Postmortem, incident: Incident) -> tuple[Postmortem, list[str]]:
    """The draft with every causal statement that cites no input event marked as a hypothesis, and a note for each.

    A model may reason beyond the data; it may not state that reasoning as fact. What it states
    without a citation stays, labelled to confirm, so the review can check it.
    """
    from pm_agent.analysis.claims import unsupported_claims

    unsupported = {claim.text for claim in unsupported_claims(postmortem, incident)}
    if not unsupported:
        return postmortem, []

    def mark(text: str) -> str:
        return f"{HYPOTHESIS_MARK}{text}" if text in unsupported else text

    chain = postmortem.root_cause
    if chain is not None:
        chain = chain.model_copy(update={"branches": [_marked_branch(b, unsupported) for b in chain.branches]})
    actions = [a.model_copy(update={"addresses": mark(a.addresses)}) for a in postmortem.action_items]
    summary = " ".join(mark(s) for s in _sentences(postmortem.summary))
    marked = postmortem.model_copy(
        update={
            "root_cause": chain,
            "action_items": actions,
            "summary": summary,
            "contributing_factors": [mark(f) for f in postmortem.contributing_factors],
            "lessons": [mark(lesson) for lesson in postmortem.lessons],
        }
    )
    notes = [f"Not supported by a cited event, marked to confirm: {clip(text)}" for text in sorted(unsupported)]
    return marked, notes


def _marked_branch(branch, unsupported: set[str]):
    steps = [
        s.model_copy(update={"hypothesis": True, "because": f"{HYPOTHESIS_MARK}{s.because}"})
        if s.because in unsupported
        else s
        for s in branch.steps
    ]
    root = branch.root_cause
    if root in unsupported:
        return branch.model_copy(
            update={
                "steps": steps,
                "root_cause": "",
                "systemic_kind": "unknown",
                "root_cause_question": f"Is this the systemic cause: {root.rstrip('.')}?",
            }
        )
    return branch.model_copy(update={"steps": steps})


def generic_lines(postmortem: Postmortem, incident: Incident) -> list[str]:
    """Lines of analysis that name nothing of this incident: they would fit any incident (a stamped template)."""
    from pm_agent.analysis.claims import analysis_lines
    from pm_agent.analysis.terms import content_stems, weight

    vocabulary = " ".join(
        [
            incident.title,
            *incident.services,
            incident.notes,
            *(e.text for e in incident.events),
            *(u.text for u in incident.undated_events),
        ]
    )
    own = {s for s in content_stems(vocabulary) if weight(s) == 1.0}
    return [
        line for line in analysis_lines(postmortem) if not own & {s for s in content_stems(line) if weight(s) == 1.0}
    ]


def _sentences(text: str) -> list[str]:
    from pm_agent.analysis.claims import sentences

    return sentences(text)


def clip(text: str, limit: int = 120) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
