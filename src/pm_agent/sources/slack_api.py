"""The Slack Web API, read only: an incident channel's messages, its threads, and who wrote them.

``conversations.history`` for the channel and ``conversations.replies`` for each thread, both paged by
``cursor``; ``users.info`` once per person, for the names a reader knows them by. Requests carry
``Authorization: Bearer <PM_AGENT_SLACK_TOKEN>``. Slack answers most errors with HTTP 200 and
``{"ok": false, "error": "..."}``; those become :class:`~pm_agent.errors.FetchError` with what to do
(a rate limit comes as HTTP 429 with ``Retry-After`` and is waited out by the HTTP adapter).

Joins, leaves, topic changes and other housekeeping are dropped, and so are bot posts that are
neither alerts nor deploys (reminders, stand-up bots, polls): what is left is what people said
and what the alerting and deploy tools posted. The result has the shape of a Slack export
(``{"messages": [...], "users": [...]}``), which :mod:`pm_agent.ingest.slack` reads.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx2

from pm_agent.backends.retry import RetryPolicy
from pm_agent.errors import ConfigError, FetchError, InputError
from pm_agent.ingest.slack import ALERT_WORDS, DEPLOY_WORDS
from pm_agent.settings import Settings
from pm_agent.sources.http import DEFAULT_POLICY, ApiSpec, JsonApi

PAGE_SIZE = 200
"""Slack's recommended page size for conversations.history and conversations.replies."""
MAX_PAGES = 500
"""A bound on the pages of one listing (100,000 messages at 200 a page), so a cursor that never ends cannot loop."""
HOUSEKEEPING = frozenset(
    {
        "channel_join",
        "channel_leave",
        "group_join",
        "group_leave",
        "channel_topic",
        "channel_purpose",
        "channel_name",
        "channel_archive",
        "channel_unarchive",
        "group_topic",
        "group_purpose",
        "group_name",
        "pinned_item",
        "unpinned_item",
        "bot_add",
        "bot_remove",
        "reminder_add",
        "channel_convert_to_private",
        "channel_posting_permissions",
        "tombstone",
        "joiner_notification",
    }
)
TOKEN_ERRORS = frozenset({"invalid_auth", "not_authed", "token_expired", "token_revoked", "account_inactive"})
_CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{6,20}")
_CHANNEL_IN_LINK = re.compile(
    r"(?:slack\.com/(?:archives|messages)/|app\.slack\.com/client/T[A-Z0-9]+/|slack://channel\?[^\s]*?\bid=)"
    r"(?P<id>[CGD][A-Z0-9]{6,20})\b"
)
_MENTION = re.compile(r"<@(?P<id>[UW][A-Z0-9]+)(?:\|[^>]*)?>")


def channel_in(text: str | None) -> str | None:
    """The channel id a Slack link names (``https://acme.slack.com/archives/C0123ABCD``), else None."""
    match = _CHANNEL_IN_LINK.search(text or "")
    return match["id"] if match else None


def checked_channel(given: str) -> str:
    """A channel given by a person: its id (``C0123ABCD``) or a link to it; a ``#name`` is refused with the reason."""
    given = (given or "").strip()
    if _CHANNEL_ID.fullmatch(given):
        return given
    found = channel_in(given)
    if found:
        return found
    raise InputError(
        f"--slack-channel {given[:80]!r}: give the channel's id (like C0123ABCD, in the channel's "
        "details) or a link to it (https://WORKSPACE.slack.com/archives/C0123ABCD)"
    )


@dataclass
class ChannelRead:
    """A channel as read: its messages in export shape, and how many were dropped as noise."""

    channel: str
    messages: list[dict[str, Any]] = field(default_factory=list)
    users: list[dict[str, Any]] = field(default_factory=list)
    dropped: int = 0
    unnamed: str = ""
    """Why people are shown by id rather than name ("" when every name was found)."""

    def export(self) -> dict[str, Any]:
        """The shape of a Slack export, as :mod:`pm_agent.ingest.slack` reads it."""
        return {"messages": self.messages, "users": self.users}


class SlackApi:
    """Read one channel between two times, threads included."""

    def __init__(self, api: JsonApi) -> None:
        self.api = api
        self._names: dict[str, str | None] = {}

    @classmethod
    def from_settings(
        cls, settings: Settings, *, policy: RetryPolicy | None = None, transport: httpx2.BaseTransport | None = None
    ) -> SlackApi:
        token = settings.slack_token.get_secret_value() if settings.slack_token else ""
        if not token.strip():
            raise ConfigError(
                "set PM_AGENT_SLACK_TOKEN to a Slack bot token (channels:history, groups:history, "
                "users:read) to read incident channels"
            )
        spec = ApiSpec(
            name="Slack",
            base_url=settings.slack_url,
            headers={"Authorization": f"Bearer {token.strip()}"},
            token_variable="PM_AGENT_SLACK_TOKEN",
            url_variable="PM_AGENT_SLACK_URL",
            timeout_s=settings.fetch_timeout_s,
            policy=policy or DEFAULT_POLICY,
        )
        return cls(JsonApi(spec, transport=transport))

    def close(self) -> None:
        self.api.close()

    def read_channel(self, channel: str, oldest: float | None = None, latest: float | None = None) -> ChannelRead:
        """Every message of ``channel`` between the epoch seconds ``oldest`` and ``latest``, thread replies
        included, oldest first, noise dropped, people named."""
        window = {key: f"{value:.6f}" for key, value in (("oldest", oldest), ("latest", latest)) if value is not None}
        seen: dict[str, dict[str, Any]] = {}
        for message in self._listing("conversations.history", {"channel": channel, **window}, channel):
            seen.setdefault(str(message.get("ts")), message)
            if _has_thread(message):
                replies = self._listing("conversations.replies", {"channel": channel, "ts": message["ts"]}, channel)
                for reply in replies:
                    seen.setdefault(str(reply.get("ts")), reply)
        read = ChannelRead(channel)
        for message in sorted(seen.values(), key=_ts):
            if _is_noise(message):
                read.dropped += 1
            else:
                read.messages.append(message)
        read.users, read.unnamed = self._people(read.messages)
        return read

    def _listing(self, method: str, params: dict[str, Any], channel: str) -> Iterator[dict[str, Any]]:
        cursor = ""
        for _ in range(MAX_PAGES):
            body = self._call(
                method, {**params, "limit": PAGE_SIZE, **({"cursor": cursor} if cursor else {})}, f"channel {channel}"
            )
            messages = body.get("messages")
            yield from (m for m in messages if isinstance(m, dict)) if isinstance(messages, list) else ()
            metadata = body.get("response_metadata")
            cursor = str(metadata.get("next_cursor") or "") if isinstance(metadata, dict) else ""
            if not cursor:
                return

    def _people(self, messages: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], str]:
        """``users`` entries for everyone who wrote or was mentioned; names from ``users.info``, asked once each."""
        ids = dict.fromkeys(str(m["user"]) for m in messages if m.get("user") and not m.get("bot_id"))
        ids |= dict.fromkeys(found["id"] for m in messages for found in _MENTION.finditer(str(m.get("text") or "")))
        users, unnamed = [], ""
        for user_id in ids:
            try:
                name = self._name(user_id)
            except FetchError as exc:
                unnamed = str(exc)
                break  # the same refusal would answer every other person
            if name:
                users.append({"id": user_id, "real_name": name, "profile": {"real_name": name}})
        return users, unnamed

    def _name(self, user_id: str) -> str | None:
        if user_id not in self._names:
            body = self._call("users.info", {"user": user_id}, f"user {user_id}")
            user = body.get("user") if isinstance(body.get("user"), dict) else {}
            profile = user.get("profile") if isinstance(user.get("profile"), dict) else {}
            self._names[user_id] = _first(
                profile.get("display_name"), profile.get("real_name"), user.get("real_name"), user.get("name")
            )
        return self._names[user_id]

    def _call(self, method: str, params: dict[str, Any], what: str) -> dict[str, Any]:
        body = self.api.get(method, params, what=f"{method} ({what})")
        if not isinstance(body, dict):
            raise FetchError(f"Slack {method}: the answer is not a JSON object")
        if body.get("ok") is not True:
            raise FetchError(_explain(method, str(body.get("error") or "unknown_error"), body, what))
        return body


def _explain(method: str, error: str, body: dict[str, Any], what: str) -> str:
    if error in TOKEN_ERRORS:
        return (
            f"Slack refused the token ({error}): it is invalid, expired or revoked; "
            "set PM_AGENT_SLACK_TOKEN to a valid one"
        )
    if error == "missing_scope":
        needed = str(body.get("needed") or "").strip()
        return (
            f"Slack {method}: the token lacks the {needed or 'needed'} scope; add it to the Slack app and reinstall it"
        )
    if error in ("channel_not_found", "not_in_channel"):
        return f"Slack {what}: {error}; check the id, and invite the pm-agent app to the channel (/invite)"
    return f"Slack {method} ({what}): {error}"


def _has_thread(message: dict[str, Any]) -> bool:
    """A thread's parent: it has replies, and ``thread_ts`` is its own ``ts``."""
    replies = message.get("reply_count")
    return isinstance(replies, int) and replies > 0 and message.get("thread_ts", message.get("ts")) == message.get("ts")


def _is_noise(message: dict[str, Any]) -> bool:
    """Housekeeping, or a bot post that is neither an alert nor a deploy."""
    subtype = message.get("subtype")
    if subtype in HOUSEKEEPING:
        return True
    if not (message.get("bot_id") or subtype == "bot_message"):
        return False
    profile = message.get("bot_profile") if isinstance(message.get("bot_profile"), dict) else {}
    said = " ".join(str(part) for part in (message.get("username"), profile.get("name"), message.get("text")) if part)
    return not (ALERT_WORDS.search(said) or DEPLOY_WORDS.search(said))


def _ts(message: dict[str, Any]) -> float:
    try:
        return float(message.get("ts") or 0)
    except (TypeError, ValueError):
        return 0.0


def _first(*values: Any) -> str | None:
    return next((text for value in values if isinstance(value, str) and (text := value.strip())), None)
