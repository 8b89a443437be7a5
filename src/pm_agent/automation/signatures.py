"""Webhook signatures: HMAC-SHA256 of the raw body, compared in constant time.

Two header forms are checked:

- PagerDuty v3, ``X-PagerDuty-Signature: v1=<hex>[,v1=<hex>...]``; while a subscription's secret
  is being rotated PagerDuty signs with each secret, and one matching signature is enough.
- pm-agent's own, ``X-PM-Agent-Signature: sha256=<hex>``, for any tool that can sign what it posts.

A header that is missing, or not of its form, cannot match whatever the body; the ``*_well_formed``
checks let the webhook refuse it before reading the body at all.
"""

from __future__ import annotations

import hashlib
import hmac
import re

PAGERDUTY_HEADER = "X-PagerDuty-Signature"
PM_AGENT_HEADER = "X-PM-Agent-Signature"
_HEX_DIGEST = re.compile(r"[0-9a-fA-F]{64}")


def hmac_hex(secret: str, body: bytes) -> str:
    """The lowercase hex HMAC-SHA256 of ``body`` under ``secret``."""
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def _same(presented: str, expected: str) -> bool:
    """Constant-time equality; a value that is not ASCII simply does not match."""
    try:
        return hmac.compare_digest(presented.strip().lower().encode("ascii"), expected.encode("ascii"))
    except UnicodeEncodeError:
        return False


def verify_pagerduty(secret: str, body: bytes, header: str | None) -> bool:
    """True when one of the ``v1=`` signatures in ``header`` is ``body``'s HMAC under ``secret``.

    Every signature is compared (no early exit), so timing does not tell which one matched.
    """
    if not header or not secret:
        return False
    expected = hmac_hex(secret, body)
    matched = False
    for part in header.split(","):
        scheme, _, value = part.strip().partition("=")
        if scheme == "v1" and value:
            matched |= _same(value, expected)
    return matched


def verify_pm_agent(secret: str, body: bytes, header: str | None) -> bool:
    """True when ``header`` is ``sha256=<hex>`` of ``body``'s HMAC under ``secret``."""
    if not header or not secret:
        return False
    scheme, _, value = header.strip().partition("=")
    return scheme.lower() == "sha256" and bool(value) and _same(value, hmac_hex(secret, body))


def pagerduty_well_formed(header: str | None) -> bool:
    """Whether ``header`` holds at least one ``v1=<64 hex>``: one that does not can match no body."""
    return bool(header) and any(
        scheme == "v1" and _HEX_DIGEST.fullmatch(value.strip())
        for scheme, _, value in (part.strip().partition("=") for part in header.split(","))
    )


def pm_agent_well_formed(header: str | None) -> bool:
    """Whether ``header`` is ``sha256=<64 hex>``: one that is not can match no body."""
    scheme, _, value = (header or "").strip().partition("=")
    return scheme.lower() == "sha256" and bool(_HEX_DIGEST.fullmatch(value.strip()))


def sign_pm_agent(secret: str, body: bytes) -> str:
    """The ``X-PM-Agent-Signature`` value for ``body``: what a sender computes (tests and docs use it)."""
    return f"sha256={hmac_hex(secret, body)}"
