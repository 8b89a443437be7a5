"""One small JSON-over-HTTP client for the services a draft is handed back to (Slack, GitHub, Jira).

Each request is retried on what may pass (429, 5xx, a GitHub rate limit answered 403, a dropped
connection), waiting what the service's ``Retry-After`` asks (or its rate-limit reset time), else
with exponential backoff, within one deadline (:mod:`pm_agent.backends.retry`). Anything else is
an :class:`IntegrationError` that names the service, the variable to check and the service's own
message, never the token.
"""

from __future__ import annotations

import email.utils
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import httpx2

from pm_agent.backends.retry import RetriesExhausted, RetryPolicy, call_with_retries
from pm_agent.errors import IntegrationError

log = logging.getLogger("pm_agent.handback")
TIMEOUT_S = 20.0
DEFAULT_POLICY = RetryPolicy(max_attempts=4, deadline_s=90.0, max_wait_s=20.0, retry_after_cap_s=60.0)
"""Four attempts within 90 s: a hand-back that still fails is retried by the worker's next pass."""


class RetryableStatus(Exception):
    """An answer worth asking again (429, 5xx, a rate-limit 403); ``wait_s`` is what the service asked for."""

    def __init__(self, status: int, message: str, wait_s: float | None) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status
        self.wait_s = wait_s


@dataclass
class JsonApi:
    """A service's REST API at ``base_url``: ``name`` and ``credential`` (the variable holding the token) name it in
    errors."""

    name: str
    base_url: str
    credential: str
    headers: dict[str, str] = field(default_factory=dict)
    auth: tuple[str, str] | None = None
    policy: RetryPolicy = DEFAULT_POLICY

    def request(self, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None) -> Any:
        """The JSON answer of ``method path`` (None for an empty body); raises :class:`IntegrationError`."""
        url = self.base_url.rstrip("/") + path
        label = f"{self.name} {method} {path.split('?')[0]}"
        try:
            response, _ = call_with_retries(
                lambda seconds_left: self._once(method, url, json, params, seconds_left),
                policy=self.policy,
                is_retryable=_retryable,
                retry_after=_asked_wait,
                label=label,
            )
        except RetriesExhausted as exc:
            raise IntegrationError(f"{self.name} is unavailable ({exc.last}) after {exc.attempts} attempts") from None
        return response

    def _once(self, method: str, url: str, body: Any, params: dict[str, Any] | None, seconds_left: float) -> Any:
        timeout = max(1.0, min(TIMEOUT_S, seconds_left))
        headers = {"user-agent": "pm-agent", "accept": "application/json", **self.headers}
        auth = httpx2.BasicAuth(*self.auth) if self.auth else None
        with httpx2.Client(timeout=timeout, follow_redirects=False) as client:
            response = client.request(method, url, json=body, params=params, headers=headers, auth=auth)
        if response.is_success:
            return response.json() if response.content.strip() else None
        message = _message(response)
        if _is_rate_limit(response) or response.status_code in (408, 429) or response.status_code >= 500:
            raise RetryableStatus(response.status_code, message, _wait_from_headers(response.headers))
        if response.status_code == 401:
            raise IntegrationError(f"{self.name} refused the credentials (401: {message}); check {self.credential}")
        if response.status_code == 403:
            raise IntegrationError(
                f"{self.name} denied the request (403: {message}); check the permissions of {self.credential}"
            )
        raise IntegrationError(
            f"{self.name} answered {response.status_code} to {method} {response.url.path}: {message}"
        )


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, RetryableStatus | httpx2.TransportError)


def _asked_wait(exc: BaseException) -> float | None:
    return exc.wait_s if isinstance(exc, RetryableStatus) else None


def _is_rate_limit(response: httpx2.Response) -> bool:
    """GitHub answers a rate limit with 403 (or 429) and says so in its headers."""
    headers = response.headers
    return response.status_code == 403 and ("retry-after" in headers or headers.get("x-ratelimit-remaining") == "0")


def _wait_from_headers(headers: httpx2.Headers) -> float | None:
    """``Retry-After`` (seconds or an HTTP date), else GitHub's ``x-ratelimit-reset`` (epoch seconds)."""
    value = headers.get("retry-after")
    if value is not None:
        try:
            return max(0.0, float(value))
        except ValueError:
            when = email.utils.parsedate_to_datetime(value) if value.strip() else None
            return max(0.0, when.timestamp() - time.time()) if when else None
    reset = headers.get("x-ratelimit-reset")
    if reset is not None and headers.get("x-ratelimit-remaining") == "0":
        try:
            return max(0.0, float(reset) - time.time())
        except ValueError:
            return None
    return None


def _message(response: httpx2.Response) -> str:
    """The service's own words: GitHub's ``message``, Slack's ``error``, Jira's ``errorMessages``/``errors``."""
    try:
        data = response.json()
    except ValueError:
        return " ".join(response.text.split())[:200] or response.reason_phrase
    if isinstance(data, dict):
        parts = [data.get("message"), data.get("error")]
        parts += list(data.get("errorMessages") or [])
        parts += (
            [f"{key}: {value}" for key, value in (data.get("errors") or {}).items()]
            if isinstance(data.get("errors"), dict)
            else []
        )
        text = "; ".join(str(part) for part in parts if part)
        if text:
            return text[:300]
    return response.reason_phrase
