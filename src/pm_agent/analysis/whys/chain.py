"""Five Whys that follow the evidence: each step cites an event or a stated fact, or is a question to the team.

The problem and the event that first showed it (``WhyChain.first_signal``) are the chain's head, never
an answer: the alert that detected a failure restates it. The chain goes as far as the data goes: Why 1
is the nearest mechanism the data states, Why 2 what set that off where the data connects them (a change,
a limit, an earlier finding), and so on; where the data stops, the next step is a question built from the
events it would connect, never a template cause. A fact the user states (``--fact``) answers the open
step it speaks to and the chain continues from it.

Branches: ``trigger`` always; ``detection`` when a person noticed before monitoring, detection came late,
or the failure's own words date it before the record; ``recovery`` when an attempt to recover failed, was
held up or had to be repeated.

This module assembles the chain (:func:`run_five_whys`) and its head (:func:`first_signal`). The parts: ``steps``
(the kinds of step), ``cause`` (the first symptom and the cause the data gives), ``trigger``, ``safeguard`` (what
let it through: the last step of the trigger branch and the systemic cause), ``detection``, ``recovery`` and
``facts`` (placing the user's facts).
"""

from __future__ import annotations

from pm_agent.analysis import vocabulary as vocab
from pm_agent.analysis.evidence import Reading, read_incident
from pm_agent.analysis.whys.cause import first_symptom
from pm_agent.analysis.whys.detection import detection_branch
from pm_agent.analysis.whys.facts import facts_branch, place_facts
from pm_agent.analysis.whys.recovery import recovery_branch
from pm_agent.analysis.whys.steps import step_evidence
from pm_agent.analysis.whys.trigger import trigger_branch
from pm_agent.errors import InputError
from pm_agent.models import Evidence, Incident, WhyChain


def run_five_whys(
    problem: str, incident: Incident | None = None, facts: list[str] | None = None, *, reading: Reading | None = None
) -> WhyChain:
    """A why-chain for ``problem``: from the incident's evidence where there is one, placing the stated ``facts``."""
    problem = (problem or "").strip() or (incident.title.strip() if incident else "")
    if not problem:
        raise InputError("the problem statement is empty; say what went wrong, e.g. 'checkout returned 502s'")
    stated = [f.strip() for f in facts or [] if f and f.strip()]
    if incident is None or not (incident.events or incident.undated_events):
        reading = None
        branches = [facts_branch(problem, stated)]
    else:
        reading = reading if reading is not None else read_incident(incident)
        branches = [trigger_branch(problem, reading)]
        branches += [b for b in (detection_branch(reading), recovery_branch(reading)) if b is not None]
        branches = place_facts(branches, stated)
    return WhyChain(
        problem=problem,
        first_signal=first_signal(reading) if reading is not None else None,
        branches=branches,
        to_confirm=any(step.hypothesis for branch in branches for step in branch.steps)
        or any(not b.root_cause for b in branches),
        services=list(incident.services) if incident else [],
        severity=incident.severity if incident else None,
    )


def first_signal(reading: Reading) -> Evidence | None:
    """The event that first showed the failure, quoted for the chain's head beside the problem it shows."""
    symptom = first_symptom(reading)
    return step_evidence(symptom, vocab.TAG_PATTERNS["symptom"]) if symptom is not None else None
