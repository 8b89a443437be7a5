"""Size limits on texts given directly (a draft to rewrite, a postmortem to score, a why chain).

Incident files are limited where they are read (:mod:`pm_agent.ingest`); these texts bypass that
reader, so the service checks them against the same ``PM_AGENT_MAX_INPUT_BYTES`` before any
engine or model sees them.
"""

from __future__ import annotations

from collections.abc import Iterable

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
