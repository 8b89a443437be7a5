"""Actions for this incident: first what the data already did or decided, then actions built from its own words.

Steps that stopped the impact are listed as done and follow-ups the data records as decided; then
one action per thing the data shows went wrong, built from the quoted component and mechanism
(what failed, how, what would have caught or contained it), each only where its premise holds:
no pre-production check proposed for a change something already caught, no alert tuning where no
alert existed, no rollback advice where the rollback failed. A finding that only says where or when the
failure showed names nothing to guard against: it becomes an open question (:func:`finding_questions`),
not an action. Owners are roles (or roster names), due dates count from the incident date by horizon,
and every action says what it addresses by quoting the event.
"""

from __future__ import annotations

import datetime as dt

from pm_agent.analysis.actions.cause_plans import (
    _cause_plan,
    _change_plan,
    _gap_plans,
    _misjudged_plans,
    _unintended_plans,
)
from pm_agent.analysis.actions.finding_plans import _finding_plans
from pm_agent.analysis.actions.plan import Plan, _action
from pm_agent.analysis.actions.resource_plans import _exhaustion_plans, _growth_plans, _limit_plans
from pm_agent.analysis.actions.response_plans import (
    _declaration_plans,
    _detection_plans,
    _drill_plans,
    _recovery_plans,
    _redundancy_plans,
)
from pm_agent.analysis.actions.steps_taken import decided_steps, done_steps
from pm_agent.analysis.evidence import Reading
from pm_agent.analysis.whys.chain import cause_of, first_symptom
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
    built = [_action(p, service, incident.severity, incident_date, roster) for p in plans]
    built.sort(key=lambda a: (HIERARCHY.index(a.hierarchy), ("P1", "P2", "P3").index(a.priority)))
    return [a.model_copy(update={"id": f"A{n}"}) for n, a in enumerate([*actions, *built], start=1)]


def built_plans(reading: Reading, problem: str) -> list[Plan]:
    """One plan per thing the data shows went wrong, in the order cause, change, detection, recovery, gaps."""
    symptom = first_symptom(reading)
    cause = cause_of(symptom, reading)
    plans = [*_cause_plan(cause), *_change_plan(reading, cause, problem), *_limit_plans(reading)]
    plans += _finding_plans(reading, cause)
    plans += _detection_plans(reading, problem)
    plans += _recovery_plans(reading) + _redundancy_plans(reading) + _growth_plans(reading) + _exhaustion_plans(reading)
    plans += _unintended_plans(reading) + _gap_plans(reading) + _misjudged_plans(reading) + _drill_plans(reading)
    plans += _declaration_plans(reading)
    unique: dict[str, Plan] = {}
    for plan in plans:
        unique.setdefault(plan.title.lower(), plan)
    return list(unique.values())[:MAX_BUILT]
