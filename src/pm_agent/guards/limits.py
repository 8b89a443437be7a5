"""Size limits on texts given directly (a draft to rewrite, a postmortem to score, a why chain).

Incident files are limited where they are read (:mod:`pm_agent.ingest`); these texts bypass that
reader, so the service checks them against the same ``PM_AGENT_MAX_INPUT_BYTES`` before any
engine or model sees them.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel

from pm_agent.errors import InputError

UTF8_MAX_BYTES_PER_CHAR = 4


def check_text_size(texts: str | Iterable[str], limit: int, what: str) -> None:
    """Raise :class:`InputError` when ``texts`` (one text, or several counted together) exceed ``limit`` UTF-8 bytes."""
    parts = [texts] if isinstance(texts, str) else list(texts)
    if sum(len(part) for part in parts) * UTF8_MAX_BYTES_PER_CHAR <= limit:
        return  # cannot be over the limit, whatever the characters: no need to encode
    size = sum(len(part.encode("utf-8", "surrogatepass")) for part in parts)
    if size > limit:
        raise InputError(
            f"the {what} is {size:,} bytes, over the limit of {limit:,} bytes; "
            "send a shorter text, or raise the limit with PM_AGENT_MAX_INPUT_BYTES"
        )


def check_postmortem_size(postmortem: BaseModel, *, max_bytes: int, max_events: int) -> None:
    """Raise :class:`InputError` for a postmortem given whole (not drafted here) over the input limits.

    A client may hand ``remember_incident`` a finished postmortem instead of incident data: it is
    held to the same ``PM_AGENT_MAX_INPUT_BYTES`` and ``PM_AGENT_MAX_EVENTS`` as the data it came from.
    """
    events = len(getattr(postmortem, "timeline", [])) + len(getattr(postmortem, "undated_events", []))
    if events > max_events:
        raise InputError(
            f"the postmortem has {events:,} timeline events, over the limit of {max_events:,} "
            "(raise PM_AGENT_MAX_EVENTS)"
        )
    check_text_size(postmortem.model_dump_json(), max_bytes, "postmortem")
