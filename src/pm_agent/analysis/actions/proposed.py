"""Actions for this incident: first what the data already did or decided, then actions built from its own words.

Steps that stopped the impact are listed as done and follow-ups the data records as decided
(:mod:`.steps_taken`); then one action per thing the data shows went wrong, built from the quoted component and
mechanism (what failed, how, what would have caught or contained it), each only where its premise holds: no
pre-production check proposed for a change something already caught, no alert tuning where no alert existed, no
rollback advice where the rollback failed. The builders live by what they read: the cause, the change and the
missing safeguards (:mod:`.cause_plans`), unexplained findings (:mod:`.finding_plans`), limits and resources
(:mod:`.resource_plans`), detection and response (:mod:`.response_plans`). A finding that only says where or when
the failure showed names nothing to guard against: it becomes an open question
(:func:`~.finding_plans.finding_questions`), not an action. Owners are roles (or roster names), due dates count
from the incident date by horizon (:func:`.plan.to_action`), and every action says what it addresses by quoting
the event.
"""

from __future__ import annotations

import datetime as dt

from pm_agent.analysis.actions.cause_plans import (
    cause_plan,
    change_plan,
    gap_plans,
    misjudged_plans,
    unintended_plans,
)
from pm_agent.analysis.actions.finding_plans import unexplained_finding_plans
from pm_agent.analysis.actions.plan import Plan, to_action
from pm_agent.analysis.actions.resource_plans import exhaustion_plans, growth_plans, limit_plans
from pm_agent.analysis.actions.response_plans import (
    declaration_plans,
    detection_plans,
    drill_plans,
    recovery_plans,
    redundancy_plans,
)
from pm_agent.analysis.actions.steps_taken import decided_steps, done_steps
from pm_agent.analysis.evidence import Reading
from pm_agent.analysis.whys.cause import cause_of, first_symptom
from pm_agent.models import ActionItem
from pm_agent.models.analysis import HIERARCHY

MAX_BUILT = 6


def propose_actions(
    reading: Reading, problem: str, incident_date: dt.date | None, roster: dict[str, str] | None = None
) -> list[ActionItem]:
    """Done and decided steps from the data, then the actions its findings call for, numbered A1, A2..."""
    incident = reading.incident
    service = next((s for s in incident.services if s.strip()), None)
    actions = done_steps(reading) + decided_steps(reading, incident_date, roster, service, incident.severity)
    plans = built_plans(reading, problem)
    built = [to_action(p, service, incident.severity, incident_date, roster) for p in plans]
    built.sort(key=lambda a: (HIERARCHY.index(a.hierarchy), ("P1", "P2", "P3").index(a.priority)))
    return [a.model_copy(update={"id": f"A{n}"}) for n, a in enumerate([*actions, *built], start=1)]


def built_plans(reading: Reading, problem: str) -> list[Plan]:
    """One plan per thing the data shows went wrong, in the order cause, change, detection, recovery, gaps."""
    symptom = first_symptom(reading)
    cause = cause_of(symptom, reading)
    plans = [*cause_plan(cause), *change_plan(reading, cause, problem), *limit_plans(reading)]
    plans += unexplained_finding_plans(reading, cause)
    plans += detection_plans(reading, problem)
    plans += recovery_plans(reading) + redundancy_plans(reading) + growth_plans(reading) + exhaustion_plans(reading)
    plans += unintended_plans(reading) + gap_plans(reading) + misjudged_plans(reading) + drill_plans(reading)
    plans += declaration_plans(reading)
    unique: dict[str, Plan] = {}
    for plan in plans:
        unique.setdefault(plan.title.lower(), plan)
    return list(unique.values())[:MAX_BUILT]
