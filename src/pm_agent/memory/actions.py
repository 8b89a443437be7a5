"""Action tracking: every action item the memory holds, its status, and whether it is overdue."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from pydantic import BaseModel

from pm_agent.errors import NotFoundError
from pm_agent.memory.records import MemoryRecord
from pm_agent.models import ActionItem


class TrackedAction(BaseModel):
    """An action item with the incident it came from."""

    id: str
    title: str
    owner: str | None = None
    due: dt.date | None = None
    status: str = "open"
    overdue: bool = False
    done_on: dt.date | None = None
    incident_id: str
    incident_title: str
    record_id: str
    tracker_url: str | None = None
    tracker_state: str | None = None


def tracked_actions(records: Iterable[MemoryRecord], today: dt.date) -> list[TrackedAction]:
    """All action items, overdue first, then by due date (undated last), then by id."""
    out = []
    for record in records:
        for item in record.action_items:
            open_ = item.status != "done"
            out.append(
                TrackedAction(
                    id=item.id,
                    title=item.title,
                    owner=item.owner,
                    due=item.due,
                    status=item.status,
                    overdue=bool(open_ and item.due and item.due < today),
                    done_on=record.done_on.get(item.id),
                    incident_id=record.source_id,
                    incident_title=record.title,
                    record_id=record.id,
                    tracker_url=item.tracker_url,
                    tracker_state=item.tracker_state,
                )
            )
    return sorted(out, key=lambda a: (not a.overdue, a.due is None, a.due or dt.date.max, a.id))


def select(actions: list[TrackedAction], *, overdue: bool = False, include_done: bool = False) -> list[TrackedAction]:
    """Only overdue ones, or the ones not done (all of them with ``include_done``)."""
    if overdue:
        return [a for a in actions if a.overdue]
    return actions if include_done else [a for a in actions if a.status != "done"]


def record_of_action(action_id: str) -> str:
    """The record id inside an action id (``<record id>.a<n>``)."""
    record_id, sep, number = action_id.rpartition(".a")
    if not sep or not number.isdigit():
        raise NotFoundError(f"no action item {action_id!r}: action ids look like pm-0123456789abcdef.a1")
    return record_id


def marked_done(record: MemoryRecord, action_id: str, today: dt.date) -> MemoryRecord:
    """The record with that action item's status set to done (and the day it was done)."""
    items = list(record.action_items)
    for position, item in enumerate(items):
        if item.id == action_id:
            items[position] = item.model_copy(update={"status": "done"})
            done_on = {**record.done_on, action_id: record.done_on.get(action_id, today)}
            return record.model_copy(update={"action_items": items, "done_on": done_on})
    raise NotFoundError(f"no action item {action_id!r} in {record.source_id}")


def carry_over_done(old: MemoryRecord, new: MemoryRecord) -> MemoryRecord:
    """A newer version of a postmortem keeps the done status of actions with the same title."""
    done = {item.title.casefold(): old.done_on.get(item.id) for item in old.action_items if item.status == "done"}
    items, done_on = [], dict(new.done_on)
    for item in new.action_items:
        key = item.title.casefold()
        if key in done and item.status != "done":
            item = item.model_copy(update={"status": "done"})
            if done[key]:
                done_on[item.id] = done[key]
        items.append(item)
    return new.model_copy(update={"action_items": items, "done_on": done_on})


def next_version(current: MemoryRecord, new: MemoryRecord, earlier: Iterable[MemoryRecord] = ()) -> MemoryRecord:
    """``new`` as the next version of ``current``: under its record id, with the same action ids for the same
    actions (same title) and their done state carried over.

    An action new in this version is numbered after every number any version used, so an action id
    never comes to mean another action.
    """
    by_title: dict[str, list[ActionItem]] = {}
    for item in current.action_items:
        by_title.setdefault(item.title.casefold(), []).append(item)
    numbers = [action_number(item.id) for record in (current, *earlier) for item in record.action_items]
    last = max(numbers, default=0)
    items, done_on = [], {}
    for item in new.action_items:
        same = by_title.get(item.title.casefold())
        if same:
            old = same.pop(0)
            item = item.model_copy(
                update={
                    "id": old.id,
                    "status": "done" if old.status == "done" else item.status,
                    "tracker_url": item.tracker_url or old.tracker_url,
                    "tracker_state": item.tracker_state if item.tracker_url else old.tracker_state,
                }
            )
            if old.id in current.done_on:
                done_on[old.id] = current.done_on[old.id]
        else:
            last += 1
            item = item.model_copy(update={"id": f"{current.id}.a{last}"})
        items.append(item)
    return new.model_copy(update={"id": current.id, "action_items": items, "done_on": done_on})


def action_number(action_id: str | None) -> int:
    """The ``n`` of ``<record id>.a<n>`` (0 for anything else)."""
    number = (action_id or "").rpartition(".a")[2]
    return int(number) if number.isdigit() else 0


def with_tracker_links(record: MemoryRecord, links: Mapping[str, tuple[str | None, str | None]]) -> MemoryRecord:
    """The record with each action whose title ``links`` holds given that issue's address and state."""
    by_title = {title.casefold(): link for title, link in links.items()}
    items = []
    for item in record.action_items:
        link = by_title.get(item.title.casefold())
        if link is not None:
            item = item.model_copy(update={"tracker_url": link[0], "tracker_state": link[1]})
        items.append(item)
    return record.model_copy(update={"action_items": items})
