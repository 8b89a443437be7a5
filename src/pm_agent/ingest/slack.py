"""Slack channel export: the day files Slack writes (a JSON list of messages) or ``{"messages": [...]}``.

People talking are "chat". Bots are classified by what they are: an alerting bot (Alertmanager,
PagerDuty, Datadog, or a FIRING/RESOLVED message) gives "alert", a deploy bot gives "deploy".
Human messages stay "chat" even when they mention a deploy, because "should we roll back?" is
conversation, not a change to the system.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

from pm_agent.errors import InputError
from pm_agent.ingest.base import ParsedFile, RawEvent
from pm_agent.ingest.timeparse import TimestampError, parse_timestamp

SKIPPED_SUBTYPES = frozenset({"channel_join", "channel_leave"})
BOT_SUBTYPES = frozenset({"bot_message"})

ALERT_WORDS = re.compile(
    r"\b(?:alertmanager|pagerduty|datadog|opsgenie|grafana|prometheus|firing|resolved)\b", re.IGNORECASE
)
DEPLOY_WORDS = re.compile(
    r"\b(?:deploy\w*|roll-?outs?|rolled out|rolling out|rollbacks?|rolled back|"
    r"argo\s?cd|spinnaker|released?\s+v?\d[\w.-]*)",
    re.IGNORECASE,
)

# Inside <...> nothing stops at a '<': "<!<!<!..." would otherwise scan to the end from every '<'.
_USER_MENTION = re.compile(r"<@(?P<id>[UW][A-Z0-9]+)(?:\|(?P<label>[^<>]*))?>")
_CHANNEL_MENTION = re.compile(r"<#(?P<id>C[A-Z0-9]+)(?:\|(?P<label>[^<>]*))?>")
_SPECIAL_MENTION = re.compile(r"<!(?P<name>[^|<>]+)(?:\|(?P<label>[^<>]*))?>")
_LINK = re.compile(r"<(?P<url>[a-z][a-z0-9+.-]*:[^|<>]*)(?:\|(?P<label>[^<>]*))?>", re.IGNORECASE)
_EMOJI = re.compile(r"(?<!\S):(?=[a-z0-9_+-]*[a-z])[a-z0-9_+-]+:(?!\S)")
_EMPHASIS = re.compile(r"(?<![\w*`~])(?P<mark>[*`~])(?=\S)(?P<inner>[^*`~\n]*?\S)(?P=mark)(?![\w*`~])")


class SlackParser:
    """Reads Slack export messages: ``ts``, ``user``/``user_profile``, ``text``, ``subtype``."""

    name = "Slack channel export"

    def sniff(self, data: Any) -> bool:
        messages = _message_list(data)
        if not messages:
            return isinstance(data, dict) and data.get("messages") == []
        dicts = [m for m in messages if isinstance(m, dict)]
        with_ts_and_text = sum(1 for m in dicts if "ts" in m and "text" in m)
        return with_ts_and_text * 2 > len(messages)

    def parse(self, data: Any, source: str, *, default_date: dt.date | None) -> ParsedFile:
        messages = _message_list(data)
        if messages is None:
            raise InputError('a Slack export is a JSON list of messages (or {"messages": [...]})', source=source)
        names = _known_names(data, messages)
        parsed = ParsedFile(format="slack")
        for index, message in enumerate(messages):
            event = _event(message, f"messages[{index}]", names, source)
            if event is not None:
                parsed.events.append(event)
        return parsed


def _message_list(data: Any) -> list[Any] | None:
    if isinstance(data, dict):
        data = data.get("messages")
    return data if isinstance(data, list) else None


def _known_names(data: Any, messages: list[Any]) -> dict[str, str]:
    """User id → display name, from ``users`` (when the export carries it) and every message's profile."""
    names: dict[str, str] = {}
    users = data.get("users") if isinstance(data, dict) else None
    for user in users if isinstance(users, list) else []:
        if isinstance(user, dict) and user.get("id"):
            name = _first_text(_dict(user.get("profile")).get("real_name"), user.get("real_name"), user.get("name"))
            if name:
                names[str(user["id"])] = name
    for message in messages:
        if isinstance(message, dict) and message.get("user") and str(message["user"]) not in names:
            name = _person_name(message)
            if name:
                names[str(message["user"])] = name
    return names


def _event(message: Any, where: str, names: dict[str, str], source: str) -> RawEvent | None:
    if not isinstance(message, dict):
        raise InputError(f"{where} must be a message object with 'ts' and 'text'", source=source)
    subtype = message.get("subtype") if isinstance(message.get("subtype"), str) else None
    if subtype in SKIPPED_SUBTYPES:
        return None
    if message.get("ts") in (None, ""):
        raise InputError(f"{where} has no 'ts' timestamp", source=source)
    try:
        at = parse_timestamp(message["ts"])
    except TimestampError as exc:
        raise InputError(f"{where}: {exc}", source=source) from None
    text = clean_markup(_raw_text(message), names)
    if not text:
        return None  # a file share or an emoji-only reaction post: nothing to put on a timeline
    is_bot = subtype in BOT_SUBTYPES or bool(message.get("bot_id"))
    actor = _bot_name(message) if is_bot else (names.get(str(message.get("user"))) or _person_name(message))
    return RawEvent(
        at=at,
        source=_bot_source(actor or "", text) if is_bot else "chat",
        text=text,
        actor=actor or _optional_str(message.get("user")),
        locator=where,
    )


def _raw_text(message: dict[str, Any]) -> str:
    """The message text; alert bots often post an empty text and put everything in attachments."""
    text = str(message.get("text") or "").strip()
    if text:
        return text
    parts = []
    attachments = message.get("attachments")
    for attachment in attachments if isinstance(attachments, list) else []:  # anything else carries no text we know
        if isinstance(attachment, dict):
            title = _first_text(attachment.get("title"), attachment.get("pretext"))
            body = _first_text(attachment.get("text"), attachment.get("fallback"))
            parts.extend(part for part in (title, body) if part and part not in parts)
    return " — ".join(parts)


def _bot_source(bot_name: str, text: str) -> str:
    if DEPLOY_WORDS.search(bot_name):
        return "deploy"
    if ALERT_WORDS.search(bot_name) or ALERT_WORDS.search(text):
        return "alert"
    if DEPLOY_WORDS.search(text):
        return "deploy"
    return "chat"


def clean_markup(text: str, names: dict[str, str]) -> str:
    """Slack's mrkdwn markup as a person would read it, on one line.

    ``<@U123>`` becomes ``@Jane Doe`` when the export names U123 (else ``@U123``), ``<url|label>``
    becomes ``label``, ``<!here>`` becomes ``@here``, ``*bold*``, ``~strike~`` and ```code```
    lose their marks, emoji codes standing alone (``:rocket:``) go, and ``&amp;``, ``&lt;`` and
    ``&gt;`` are unescaped last, so an escaped ``&lt;b&gt;`` stays literal text.
    """
    text = _USER_MENTION.sub(lambda m: "@" + (names.get(m["id"]) or m["label"] or m["id"]), text)
    text = _CHANNEL_MENTION.sub(lambda m: "#" + (m["label"] or m["id"]), text)
    text = _SPECIAL_MENTION.sub(lambda m: m["label"] or "@" + m["name"].split("^")[0], text)
    text = _LINK.sub(lambda m: m["label"] or m["url"], text)
    text = _EMPHASIS.sub(lambda m: m["inner"], _EMOJI.sub("", text))
    return " ".join(html.unescape(text).split())


def _person_name(message: dict[str, Any]) -> str | None:
    profile = _dict(message.get("user_profile"))
    return _first_text(
        profile.get("real_name"), message.get("user_name"), profile.get("display_name"), profile.get("name")
    )


def _bot_name(message: dict[str, Any]) -> str | None:
    return _first_text(message.get("username"), _dict(message.get("bot_profile")).get("name"), _person_name(message))


def _first_text(*values: Any) -> str | None:
    return next((text for value in values if (text := _optional_str(value))), None)


def _optional_str(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    return text or None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


PARSER = SlackParser()
