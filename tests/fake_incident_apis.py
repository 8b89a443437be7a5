"""Local fakes of the PagerDuty REST API v2 and the Slack Web API on 127.0.0.1, for the real HTTP client.

Each implements the documented endpoints pm-agent reads, answering in their documented shapes:

- PagerDuty: ``GET /incidents/{id}`` (``{"incident": ...}``), ``/incidents/{id}/log_entries`` and
  ``/alerts`` paged by ``offset``/``limit`` with ``more``, ``/incidents/{id}/notes``; 401
  ``{"error": {"message": "Unauthenticated", "code": 2006}}`` for a wrong token, 404 for an unknown incident.
- Slack: ``conversations.history`` (newest first, top-level messages only) and ``conversations.replies``
  (parent first), paged by ``cursor`` with ``response_metadata.next_cursor``; ``users.info``; errors
  as HTTP 200 ``{"ok": false, "error": "invalid_auth"}``, ``channel_not_found``, ``user_not_found``.

``interrupt(reply, ...)`` makes the next requests answer with scripted replies first (a 429 with
``Retry-After``, a 503, a 401 ``token_expired``); ``requests`` records every request. Every name, id
and text of :func:`incident_story` was invented for these tests.
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from fake_http import Answer, FakeService, Seen

PD_TOKEN = "pd-fake-read-only-key"
SLACK_TOKEN = "slack-fake-bot-token"


Reply = Answer  # the fakes' answer: status, JSON body, headers


def rate_limited(retry_after: str = "1", slack: bool = False) -> Reply:
    body = (
        {"ok": False, "error": "ratelimited"} if slack else {"error": {"message": "Rate Limit Exceeded", "code": 2020}}
    )
    return Reply(429, body, {"Retry-After": retry_after})


class _FakeApi(FakeService):
    """A fake answering by path, query and headers (:meth:`answer`), scripted replies first."""

    def paths(self) -> list[str]:
        return [seen.path for seen in self.requests]

    def answer(self, path: str, query: dict[str, str], headers: dict[str, str]) -> Reply:
        raise NotImplementedError

    def route(self, seen: Seen) -> Answer:
        return self.answer(seen.path, seen.query, seen.headers)


class FakePagerDuty(_FakeApi):
    """PagerDuty REST API v2 over ``incidents``: id -> {"incident", "log_entries", "notes", "alerts"}."""

    MAX_LIMIT = 100

    def __init__(self, incidents: dict[str, dict[str, Any]], token: str = PD_TOKEN) -> None:
        super().__init__()
        self.incidents = incidents
        self.token = token

    def answer(self, path: str, query: dict[str, str], headers: dict[str, str]) -> Reply:
        if headers.get("authorization") != f"Token token={self.token}":
            return Reply(401, {"error": {"message": "Unauthenticated", "code": 2006}})
        if headers.get("accept") != "application/vnd.pagerduty+json;version=2":
            return Reply(406, {"error": {"message": "Not Acceptable", "code": 2001}})
        parts = path.strip("/").split("/")
        if len(parts) < 2 or parts[0] != "incidents" or parts[1] not in self.incidents:
            return Reply(404, {"error": {"message": "Not Found", "code": 2100}})
        story = self.incidents[parts[1]]
        if len(parts) == 2:
            return Reply(200, {"incident": story["incident"]})
        if parts[2] == "notes":
            return Reply(200, {"notes": story["notes"]})
        if parts[2] in ("log_entries", "alerts"):
            return self._page(story[parts[2]], parts[2], query)
        return Reply(404, {"error": {"message": "Not Found", "code": 2100}})

    def _page(self, items: list[dict[str, Any]], key: str, query: dict[str, str]) -> Reply:
        offset = int(query.get("offset", 0))
        limit = min(int(query.get("limit", 25)), self.MAX_LIMIT)
        page = items[offset : offset + limit]
        return Reply(
            200, {key: page, "offset": offset, "limit": limit, "more": offset + limit < len(items), "total": None}
        )


class FakeSlack(_FakeApi):
    """Slack Web API over ``channels``: id -> messages (oldest first, replies carry ``thread_ts``), and ``users``."""

    def __init__(
        self,
        channels: dict[str, list[dict[str, Any]]],
        users: dict[str, dict[str, Any]],
        token: str = SLACK_TOKEN,
        page_size: int | None = None,
    ) -> None:
        super().__init__()
        self.channels = channels
        self.users = users
        self.token = token
        self.page_size = page_size
        """The most messages per page whatever the client asks (to force paging with small channels)."""

    def answer(self, path: str, query: dict[str, str], headers: dict[str, str]) -> Reply:
        if headers.get("authorization") != f"Bearer {self.token}":
            return Reply(200, {"ok": False, "error": "invalid_auth"})
        method = path.strip("/").rsplit("/", 1)[-1]
        if method == "users.info":
            user = self.users.get(query.get("user", ""))
            return Reply(200, {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"})
        messages = self.channels.get(query.get("channel", ""))
        if messages is None:
            return Reply(200, {"ok": False, "error": "channel_not_found"})
        if method == "conversations.history":
            oldest, latest = float(query.get("oldest", 0)), float(query.get("latest", 1e12))
            top = [m for m in messages if m.get("thread_ts", m["ts"]) == m["ts"] and oldest <= float(m["ts"]) <= latest]
            return self._page(list(reversed(top)), query)
        if method == "conversations.replies":
            thread = [m for m in messages if m.get("thread_ts") == query.get("ts") or m["ts"] == query.get("ts")]
            return self._page(thread, query)
        return Reply(200, {"ok": False, "error": "unknown_method"})

    def _page(self, items: list[dict[str, Any]], query: dict[str, str]) -> Reply:
        start = int(base64.b64decode(query["cursor"]).decode().removeprefix("next:")) if query.get("cursor") else 0
        limit = min(int(query.get("limit", 100)), self.page_size or 1000)
        page = items[start : start + limit]
        more = start + limit < len(items)
        cursor = base64.b64encode(f"next:{start + limit}".encode()).decode() if more else ""
        return Reply(
            200, {"ok": True, "messages": page, "has_more": more, "response_metadata": {"next_cursor": cursor}}
        )


# --- a resolved incident with everything recorded during it -------------------------------------------------------

INCIDENT_ID = "PQ7RFT2"
CHANNEL = "C07INCIDNT"
START = dt.datetime(2025, 9, 14, 2, 0, tzinfo=dt.UTC)
PEOPLE = {"U01ANA": "Ana Ortiz", "U02BEN": "Ben Okafor", "U03CHI": "Chidi Varga", "U04DEV": "Dev Lindqvist"}
_ACTIONS = [
    "checked",
    "graphed",
    "restarted",
    "drained",
    "paused",
    "compared",
    "tailed",
    "scaled",
    "reverted",
    "profiled",
    "pinned",
    "cordoned",
    "throttled",
]
_THINGS = [
    "the upload queue",
    "gateway pod",
    "object index",
    "replica lag",
    "TLS cert",
    "disk pressure",
    "shard map",
    "retry budget",
    "connection pool",
    "cache hit rate",
    "error budget",
    "load balancer",
]


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _user(user_id: str) -> dict[str, Any]:
    return {"id": user_id, "summary": PEOPLE[user_id], "type": "user_reference"}


def incident_story(log_entries: int = 40, notes: int = 3, messages: int = 200) -> dict[str, Any]:
    """A resolved incident: its PagerDuty resource, ``log_entries`` log entries (``notes`` of them the notes'
    annotations), ``notes`` notes, two alerts, and a Slack channel of ``messages`` messages (every tenth starting a
    thread of two replies) plus noise (joins, a topic change, a reminder bot). Events are spaced wider than the
    merge's near-duplicate window, so each stays its own line on the timeline."""
    log_step, chat_step = dt.timedelta(minutes=13), dt.timedelta(seconds=150)
    end = START + log_step * (log_entries - 1)
    people = list(PEOPLE)
    entries: list[dict[str, Any]] = []
    note_list: list[dict[str, Any]] = []
    note_slots = {1 + (i + 1) * (log_entries - 2) // (notes + 1) for i in range(notes)}
    for index in range(log_entries):
        at = _iso(START + log_step * index)
        person = _user(people[index % len(people)])
        if index == 0:
            entry = {
                "type": "trigger_log_entry",
                "channel": {"type": "api"},
                "incident": {"id": INCIDENT_ID, "summary": "[#5120] Object storage uploads failing"},
            }
        elif index == log_entries - 1:
            entry = {"type": "resolve_log_entry", "agent": person}
        elif index in note_slots:
            content = (
                f"Note {len(note_list) + 1}: {_ACTIONS[index % 13]} {_THINGS[index % 12]}, see runbook step {index}"
            )
            entry = {"type": "annotate_log_entry", "agent": person, "channel": {"type": "note", "summary": content}}
            note_list.append(
                {
                    "id": f"PNOTE{index}",
                    "user": person,
                    "content": content,
                    "created_at": at,
                    "channel": {"summary": "The PagerDuty website"},
                }
            )
        elif index == 1:
            entry = {"type": "acknowledge_log_entry", "agent": person}
        elif index % 3 == 0:
            entry = {"type": "escalate_log_entry", "summary": f"Escalated to level {index // 3} of Storage"}
        else:
            entry = {
                "type": "notify_log_entry",
                "user": person,
                "channel": {"type": ["sms", "phone", "email"][index % 3]},
                "summary": f"Notified {person['summary']} round {index}",
            }
        entries.append({"id": f"PLOG{index:03d}", "created_at": at, **entry})
    chat, noise_at = _channel(messages, chat_step)
    return {
        "incident": {
            "id": INCIDENT_ID,
            "type": "incident",
            "number": 5120,
            "title": "Object storage uploads failing",
            "status": "resolved",
            "urgency": "high",
            "created_at": _iso(START),
            "last_status_change_at": _iso(end),
            "service": {"id": "PSVC9", "summary": "object-storage", "type": "service_reference"},
            "priority": {"id": "PPRI1", "summary": "P1", "type": "priority_reference"},
            "teams": [{"id": "PTEAM9", "summary": "Storage", "type": "team_reference"}],
            "html_url": f"https://example.pagerduty.com/incidents/{INCIDENT_ID}",
            "conference_bridge": {
                "conference_number": "",
                "conference_url": f"https://example.slack.com/archives/{CHANNEL}",
            },
        },
        "log_entries": entries,
        "notes": note_list,
        "alerts": [
            {
                "id": "PALERT1",
                "type": "alert",
                "status": "resolved",
                "created_at": _iso(START),
                "summary": "uploads 5xx ratio above 5% for 5 minutes",
                "service": {"summary": "object-storage"},
            },
        ],
        "channel": chat,
        "noise": noise_at,
    }


def _channel(count: int, step: dt.timedelta) -> tuple[list[dict[str, Any]], int]:
    """``count`` messages a person wrote (every tenth a thread parent with two replies), then the noise around them."""
    first = START + dt.timedelta(seconds=37)
    messages: list[dict[str, Any]] = []
    parent_ts = None
    for index in range(count):
        ts = f"{(first + step * index).timestamp():.6f}"
        user = list(PEOPLE)[index % len(PEOPLE)]
        text = f"Update {index}: {_ACTIONS[index % 13]} {_THINGS[index % 12]} on node-{index:03d}"
        if index == 5:
            text = f"Update {index}: <@U02BEN> can you check the gateway? the admin password=Hunter2-fake-99 is in the vault"
        message = {"type": "message", "user": user, "text": text, "ts": ts}
        if index % 10 == 0:
            parent_ts = ts
            message |= {"thread_ts": ts, "reply_count": 2}
        elif index % 10 in (1, 2) and parent_ts:
            message |= {"thread_ts": parent_ts, "parent_user_id": "U01ANA"}
        messages.append(message)
    noise = [
        {
            "type": "message",
            "subtype": "channel_join",
            "user": "U04DEV",
            "text": "<@U04DEV> has joined the channel",
            "ts": f"{(first - dt.timedelta(seconds=20)).timestamp():.6f}",
        },
        {
            "type": "message",
            "subtype": "channel_topic",
            "user": "U01ANA",
            "text": "set the channel topic: uploads failing",
            "ts": f"{(first - dt.timedelta(seconds=10)).timestamp():.6f}",
        },
        {
            "type": "message",
            "subtype": "bot_message",
            "bot_id": "B0REMIND",
            "username": "Standup bot",
            "text": "Reminder: stand-up notes are due by 10:00",
            "ts": f"{(first + step * 7.5).timestamp():.6f}",
        },
    ]
    return sorted(messages + noise, key=lambda m: float(m["ts"])), len(noise)


def slack_users() -> dict[str, dict[str, Any]]:
    return {
        uid: {
            "id": uid,
            "name": name.split()[0].lower(),
            "real_name": name,
            "profile": {"display_name": name, "real_name": name},
        }
        for uid, name in PEOPLE.items()
    }


def webhook_for(story: dict[str, Any], event_id: str = "01FETCHEVENT00000000000001") -> dict[str, Any]:
    """The PagerDuty v3 ``incident.resolved`` delivery for the story's incident."""
    incident = story["incident"]
    return {
        "event": {
            "id": event_id,
            "event_type": "incident.resolved",
            "resource_type": "incident",
            "occurred_at": incident["last_status_change_at"],
            "agent": _user("U02BEN"),
            "data": {
                key: incident[key]
                for key in (
                    "id",
                    "type",
                    "number",
                    "title",
                    "status",
                    "urgency",
                    "created_at",
                    "service",
                    "priority",
                    "teams",
                    "html_url",
                    "conference_bridge",
                )
            },
        }
    }
