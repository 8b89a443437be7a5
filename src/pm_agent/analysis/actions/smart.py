"""SMART actions: who owns an action, when it is due, how urgent it is, and the linter for any action.

Owners are roles, or names from the user's roster; never an invented person, never a bare team.
Due dates count from the incident date by horizon. The linter checks any action, including the
ones pm-agent proposes (:mod:`pm_agent.analysis.actions.proposed`), against SMART and the prevention
hierarchy.
"""

from __future__ import annotations

import datetime as dt

from pm_agent.analysis.actions import rules
from pm_agent.models import ActionItem, ActionLint, ActionProblem

IMPACT_LEVELS = ("low", "medium", "high")
EFFORT_BY_HORIZON = rules.EFFORT_BY_HORIZON


def due_date(horizon: str, incident_date: dt.date | None) -> tuple[dt.date | None, str]:
    """The due date for ``horizon`` counted from the incident date, and how it was set."""
    days = rules.HORIZON_DAYS[horizon]
    if incident_date is None:
        return None, f"Needs the incident date: due {days} days after it ({horizon} horizon)."
    return incident_date + dt.timedelta(days=days), f"{days} days after the incident date ({horizon} horizon)."


def owner_for(area: str, service: str | None, roster: dict[str, str] | None) -> str:
    """A name from the roster for the area (or service), else the role that owns the area."""
    named = _from_roster(area, service, roster or {})
    if named:
        return named
    if area == "service":
        return f"Service owner of {service}" if service else "Service owner of the affected service"
    return rules.OWNER_ROLES[area]


def _from_roster(area: str, service: str | None, roster: dict[str, str]) -> str | None:
    by_key = {key.strip().lower(): value.strip() for key, value in roster.items() if key and value and value.strip()}
    keys = list(rules.OWNER_ALIASES.get(area, (area,)))
    if area == "service" and service:
        keys = [service.lower(), f"service owner of {service.lower()}", *keys]
    for key in keys:
        name = by_key.get(key)
        if name and not _is_team(name):
            return name
    return None


def priority(impact: str, horizon: str, severity: str | None) -> str:
    """P1 to P3 from impact and effort (the horizon): high impact at low or medium effort is P1.

    A severe incident makes every high-impact action P1 whatever its effort; a minor one
    moves every action down a level.
    """
    level = IMPACT_LEVELS.index(impact)
    high_effort = EFFORT_BY_HORIZON[horizon] == "high"
    if severity and rules.MINOR_RE.search(severity):
        level = max(level - 1, 0)
    elif severity and rules.SEVERE_RE.search(severity) and level == 2:
        return "P1"
    if level == 2:
        return "P2" if high_effort else "P1"
    if level == 1:
        return "P3" if high_effort else "P2"
    return "P3"


# --- linting --------------------------------------------------------------------------------


def lint_actions(actions: list[ActionItem]) -> list[ActionLint]:
    """Check each action against SMART and the prevention hierarchy."""
    results = []
    for action in actions:
        problems = _problems(action)
        results.append(ActionLint(action=action, problems=problems, smart=not problems))
    return results


def _problems(action: ActionItem) -> list[ActionProblem]:
    """What falls short; an action already done is history, so only its wording is checked."""
    checks = (_specific,) if action.status == "done" else (_specific, _measurable, _owned, _dated, _not_training_only)
    return [problem for check in checks for problem in check(action)]


def _specific(action: ActionItem) -> list[ActionProblem]:
    title = action.title.strip()
    phrase = rules.VAGUE_ALWAYS.search(title) or rules.BARE_INVESTIGATE.search(title)
    if phrase is None and not _measurable_text(action.done_when):
        phrase = rules.VAGUE_UNLESS_MEASURED.search(title)
    if phrase is not None:
        return [
            ActionProblem(
                code="vague",
                message=(
                    f'"{phrase.group().strip()}" is vague: name the exact change and the system it applies to, '
                    "e.g. 'Add a CI check that rejects invalid rate-limit rules for checkout'."
                ),
            )
        ]
    if len(title.split()) < 3:
        return [
            ActionProblem(
                code="not_specific",
                message=(
                    f'"{title}" is too short to act on: state a verb and the object it changes, '
                    "e.g. 'Add an alert on checkout 5xx responses'."
                ),
            )
        ]
    return []


def _measurable(action: ActionItem) -> list[ActionProblem]:
    if _measurable_text(action.done_when):
        return []
    return [
        ActionProblem(
            code="no_measure",
            message=(
                "No observable completion criterion: set done_when to what will be verifiably true when it is done, "
                "e.g. 'CI rejects a test change that breaks the config schema'."
            ),
        )
    ]


def _measurable_text(done_when: str) -> bool:
    text = (done_when or "").strip()
    return bool(text) and not rules.UNMEASURABLE_DONE.search(text) and bool(rules.OBSERVABLE_RE.search(text))


def _owned(action: ActionItem) -> list[ActionProblem]:
    owner = (action.owner or "").strip()
    if not owner:
        return [
            ActionProblem(
                code="no_owner",
                message=(
                    "No owner: name one accountable role (e.g. 'Service owner of checkout') "
                    "or a person from the roster."
                ),
            )
        ]
    if _is_team(owner):
        return [
            ActionProblem(
                code="team_owner",
                message=(
                    f'"{owner}" is a team, not an owner: name one accountable role or person within it, '
                    "e.g. 'Platform engineering lead'."
                ),
            )
        ]
    return []


def _is_team(owner: str) -> bool:
    return bool(rules.TEAM_RE.search(owner)) and not rules.ROLE_RE.search(owner)


def _dated(action: ActionItem) -> list[ActionProblem]:
    if action.due is not None:
        return []
    return [
        ActionProblem(
            code="no_due_date",
            message=(
                "No due date: set one from the incident date (immediate within 7 days, short within 6 weeks, "
                "long within 6 months)."
            ),
        )
    ]


def _not_training_only(action: ActionItem) -> list[ActionProblem]:
    title = action.title
    training = action.hierarchy == "training" or bool(rules.TRAINING_TITLE_RE.search(title))
    if not training or (rules.ENGINEERING_TITLE_RE.search(title) and action.hierarchy != "training"):
        return []
    return [
        ActionProblem(
            code="training_only",
            message=(
                "Training alone relies on people remembering: pair it with an engineering control (a check, guard or "
                "automation) that makes the failure impossible or detected."
            ),
        )
    ]
