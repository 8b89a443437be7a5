"""One small HTTP adapter for the incident sources: a base URL, a token, timeouts, retries, plain errors.

Each source API (PagerDuty, Slack) is a :class:`JsonApi`: ``get(path, params)`` returns the decoded JSON
of a 2xx answer. A 429 or a 5xx, a timeout or a dropped connection is retried with a growing wait
(tenacity, through :func:`pm_agent.backends.retry.call_with_retries`), or after the server's
``Retry-After`` when it sends one; a refused token (401), a missing permission (403), an unknown
resource (404) and any other 4xx fail at once, as a :class:`~pm_agent.errors.FetchError` whose one
line says what to do. The token is sent only in a header, to the configured base URL, and appears in
no message.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx2

from pm_agent.backends.retry import RetriesExhausted, RetryPolicy, call_with_retries
from pm_agent.errors import FetchError

RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})
DEFAULT_POLICY = RetryPolicy(
    max_attempts=5, deadline_s=120.0, backoff_multiplier_s=1.0, max_wait_s=30.0, jitter_s=0.5, retry_after_cap_s=60.0
)


@dataclass(frozen=True)
class ApiSpec:
    """Which API, and the settings that configure it, so that every error names what to change."""

    name: str
    """How a user knows it: ``PagerDuty``, ``Slack``."""
    base_url: str
    headers: Mapping[str, str]
    token_variable: str
    url_variable: str
    timeout_s: float = 30.0
    policy: RetryPolicy = field(default=DEFAULT_POLICY)


class Retryable(Exception):
    """An answer worth asking again (429, 5xx) or a connection that failed; ``retry_after_s`` from the server."""

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class JsonApi:
    """GET requests to one JSON API; use as a context manager, or :meth:`close` it."""

    def __init__(self, spec: ApiSpec, *, transport: httpx2.BaseTransport | None = None) -> None:
        self.spec = spec
        self._client = httpx2.Client(
            base_url=spec.base_url.rstrip("/") + "/",
            headers=dict(spec.headers),
            timeout=httpx2.Timeout(spec.timeout_s),
            follow_redirects=False,  # a redirect elsewhere would carry the token with it
            transport=transport,
        )

    def __enter__(self) -> JsonApi:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def get(self, path: str, params: Mapping[str, Any] | None = None, *, what: str = "") -> Any:
        """The JSON of ``GET base_url/path?params``; retried on 429/5xx and connection failures; else a FetchError.

        ``what`` names the resource in messages (``incident Q2W8RT5``)."""
        what = what or path
        try:
            answer, _ = call_with_retries(
                lambda _left: self._once(path.lstrip("/"), params, what),
                policy=self.spec.policy,
                is_retryable=lambda exc: isinstance(exc, Retryable),
                retry_after=lambda exc: exc.retry_after_s if isinstance(exc, Retryable) else None,
                label=f"{self.spec.name} {what}",
            )
        except RetriesExhausted as exc:
            raise FetchError(
                f"{self.spec.name} {what}: {exc.last} after {exc.attempts} attempts; try again later"
            ) from None
        return answer

    def _once(self, path: str, params: Mapping[str, Any] | None, what: str) -> Any:
        try:
            response = self._client.get(path, params=dict(params or {}))
        except httpx2.TimeoutException:
            raise Retryable(f"no answer within {self.spec.timeout_s:g} s") from None
        except httpx2.TransportError as exc:
            raise Retryable(
                f"cannot reach {self.spec.base_url} ({type(exc).__name__}); check {self.spec.url_variable}"
            ) from None
        status = response.status_code
        if status in RETRIED_STATUSES:
            raise Retryable(f"answered {status}", retry_after_seconds(response.headers))
        if status >= 400:
            raise FetchError(self._refusal(status, what, response))
        if not 200 <= status < 300:
            raise FetchError(
                f"{self.spec.name} {what}: unexpected answer {status} (is {self.spec.url_variable} the API's address?)"
            )
        try:
            return response.json()
        except ValueError:
            raise FetchError(
                f"{self.spec.name} {what}: the answer is not JSON (is {self.spec.url_variable} the API's address?)"
            ) from None

    def _refusal(self, status: int, what: str, response: httpx2.Response) -> str:
        name, token = self.spec.name, self.spec.token_variable
        if status == 401:
            return f"{name} refused the token (401): it is invalid, expired or revoked; set {token} to a valid one"
        if status == 403:
            return f"{name} {what}: the token may not read it (403); give {token} read access to it"
        if status == 404:
            return f"{name} {what}: not found (404); check the id, and that {token} can see it"
        return f"{name} {what}: refused with {status}" + (f" ({reason})" if (reason := error_text(response)) else "")


def retry_after_seconds(headers: Mapping[str, str], now: Callable[[], float] = time.time) -> float | None:
    """Seconds to wait from ``Retry-After`` (seconds or an HTTP date), else PagerDuty's ``ratelimit-reset``."""
    value = (headers.get("retry-after") or "").strip()
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            moment = email.utils.parsedate_to_datetime(value) if _is_http_date(value) else None
            if moment is not None:
                return max(0.0, moment.timestamp() - now())
    reset = (headers.get("ratelimit-reset") or "").strip()
    try:
        return max(0.0, float(reset)) if reset else None
    except ValueError:
        return None


def _is_http_date(value: str) -> bool:
    try:
        return email.utils.parsedate_to_datetime(value) is not None
    except (TypeError, ValueError, IndexError):
        return False


def error_text(response: httpx2.Response) -> str:
    """The short reason an API gives in its error body (PagerDuty's ``error.message``, Slack's ``error``)."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    error = body.get("error")
    if isinstance(error, dict):
        return str(error.get("message") or "")[:200]
    return str(error or "")[:200]
