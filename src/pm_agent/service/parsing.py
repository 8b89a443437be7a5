"""Parsing of the small JSON inputs the front ends take beside incidents: action items and rosters."""

from __future__ import annotations

from pm_agent.errors import InputError, first_problem
from pm_agent.ingest.loader import parse_json
from pm_agent.models import ActionItem


def parse_actions_json(text: str, source: str = "<input>") -> list[ActionItem]:
    """Action items from JSON: a list of objects (``title``, ``owner``, ``due``, ``done_when``...) or of strings."""
    data = parse_json(text, source)
    if isinstance(data, dict):
        data = data.get("action_items") or data.get("actions")
    if not isinstance(data, list):
        raise InputError("expected a list of action items (objects with a 'title', or strings)", source=source)
    from pydantic import ValidationError

    items = []
    for index, item in enumerate(data):
        if isinstance(item, dict):
            item = _common_action_fields(item, f"action [{index}]", source)
        try:
            items.append(ActionItem(title=item) if isinstance(item, str) else ActionItem.model_validate(item))
        except ValidationError as exc:
            where, problem = first_problem(exc)
            raise InputError(f"action [{index}] field {where!r}: {problem}", source=source) from None
    return items


ACTION_FIELD_NAMES = {"owner": ("owner", "assignee"), "due": ("due", "due_date", "deadline")}
"""The names trackers and teams give an action's owner and due date, read as ours (others were ignored silently)."""


def _common_action_fields(item: dict, where: str, source: str) -> dict:
    """``item`` with ``assignee`` read as ``owner`` and ``due_date``/``deadline`` as ``due``; two names for one field
    are refused rather than one of them dropped."""
    item = dict(item)
    for field, names in ACTION_FIELD_NAMES.items():
        given = [name for name in names if item.get(name) not in (None, "")]
        if len(given) > 1:
            raise InputError(
                f"{where} gives the {field} twice ({given[0]!r} and {given[1]!r}); keep one", source=source
            )
        values = [item.pop(name) for name in names if name in item]
        if given:
            item[field] = next(v for v in values if v not in (None, ""))
    return item


def parse_roster(text: str, source: str = "<roster>") -> dict[str, str]:
    """A roster mapping roles or areas to people: JSON ``{"platform": "Dana Ortiz"}``."""
    data = parse_json(text, source)
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise InputError('a roster is a JSON object of role to name, e.g. {"platform": "Dana Ortiz"}', source=source)
    return {str(k): v for k, v in data.items()}
