"""Webhook endpoints that queue an incident for drafting and answer at once.

- ``POST /webhooks/pagerduty``: PagerDuty v3 webhooks, signed in ``X-PagerDuty-Signature`` with
  ``PM_AGENT_PAGERDUTY_SECRET``. ``incident.resolved`` is queued; other event types are
  acknowledged (200) and ignored.
- ``POST /webhooks/incident``: pm-agent incident JSON (or any JSON format pm-agent reads) from
  any tool, signed ``X-PM-Agent-Signature: sha256=<hex>`` with ``PM_AGENT_WEBHOOK_SECRET``.

Answers: 202 with the job id (``"status": "duplicate"`` when the same event was queued before),
401 for a missing or wrong signature, 503 when the endpoint's secret is not configured (or the
queue folder cannot be written), 413 over
``PM_AGENT_MAX_INPUT_BYTES``, 400 for a body that is not JSON, 422 for JSON that is not an incident.

Nothing is read before it has to be: an unconfigured endpoint, a signature header that is missing or
not of its form, and a declared ``Content-Length`` over the limit are refused before the body; a
body is then read with a running cap, and its signature checked before anything parses it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

import anyio.to_thread
from pydantic import SecretStr
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from pm_agent.automation.queue import Enqueued, JobQueue
from pm_agent.automation.signatures import (
    PAGERDUTY_HEADER,
    PM_AGENT_HEADER,
    pagerduty_well_formed,
    pm_agent_well_formed,
    verify_pagerduty,
    verify_pm_agent,
)
from pm_agent.errors import InputError, PmAgentError
from pm_agent.ingest.loader import parse_json
from pm_agent.service import PostmortemService
from pm_agent.sources.pagerduty_event import read_event

WEBHOOK_PREFIX = "/webhooks/"


def problem(status: int, error: str, description: str) -> JSONResponse:
    """A JSON error answer in the same shape as the bearer-token gate's."""
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


def accepted(result: Enqueued) -> JSONResponse:
    status = "duplicate" if result.duplicate else "queued"
    return JSONResponse({"status": status, "job": result.job.id, "state": result.job.state}, status_code=202)


async def read_body(request: Request, limit: int) -> bytes | None:
    """The request body, or None as soon as it is known to exceed ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


class Webhooks:
    """The two endpoints over one queue; ``notify`` wakes the drafting worker after each new job."""

    def __init__(self, service: PostmortemService, queue: JobQueue, notify: Callable[[], None]) -> None:
        self.service = service
        self.settings = service.settings
        self.queue = queue
        self.notify = notify

    def routes(self) -> list[Route]:
        return [
            Route(f"{WEBHOOK_PREFIX}pagerduty", self.pagerduty, methods=["POST"]),
            Route(f"{WEBHOOK_PREFIX}incident", self.incident, methods=["POST"]),
        ]

    async def pagerduty(self, request: Request) -> JSONResponse:
        body, refused = await self._signed_body(
            request,
            self.settings.pagerduty_secret,
            "PM_AGENT_PAGERDUTY_SECRET",
            PAGERDUTY_HEADER,
            pagerduty_well_formed,
            verify_pagerduty,
        )
        if refused is not None:
            return refused
        try:
            event = read_event(parse_json(_decoded(body), "pagerduty-webhook"))
        except InputError as exc:
            return problem(400, "bad_request", str(exc))
        if event.incident is None:
            return JSONResponse({"status": "ignored", "event_type": event.event_type}, status_code=200)
        text = json.dumps(event.incident, indent=2)
        return await self._enqueue(f"pagerduty:{event.event_id}", "pagerduty", f"pagerduty-{event.event_id}", text)

    async def incident(self, request: Request) -> JSONResponse:
        body, refused = await self._signed_body(
            request,
            self.settings.webhook_secret,
            "PM_AGENT_WEBHOOK_SECRET",
            PM_AGENT_HEADER,
            pm_agent_well_formed,
            verify_pm_agent,
        )
        if refused is not None:
            return refused
        try:
            text = _decoded(body)
            data = parse_json(text, "incident-webhook")
        except InputError as exc:
            return problem(400, "bad_request", str(exc))
        try:
            incident = await anyio.to_thread.run_sync(lambda: self.service.load_text(text, name="incident-webhook"))
        except InputError as exc:
            return problem(422, "not_an_incident", str(exc))
        given = data.get("id") if isinstance(data, dict) else None
        key = (
            f"incident:{given}"
            if isinstance(given, str | int) and str(given).strip()
            else (f"sha256:{hashlib.sha256(body).hexdigest()}")
        )
        return await self._enqueue(key, "incident", f"webhook-{incident.id}", text)

    async def _signed_body(
        self,
        request: Request,
        secret: SecretStr | None,
        variable: str,
        header: str,
        well_formed: Callable[[str | None], bool],
        verify: Callable[..., bool],
    ) -> tuple[bytes, JSONResponse | None]:
        """The body once the secret is configured, the signature header of its form, the size allowed and the
        signature right; else a refusal. Only the last two need the body, read with a running cap."""
        key = secret.get_secret_value() if secret is not None else ""
        if not key:
            return b"", problem(
                503, "not_configured", f"this webhook is off: set {variable} on the server to its signing secret"
            )
        signature = request.headers.get(header)
        wrong_signature = problem(
            401, "invalid_signature", f"missing or wrong {header}; sign the raw body with HMAC-SHA256"
        )
        if not well_formed(signature):
            return b"", wrong_signature
        body = await read_body(request, self.settings.max_input_bytes)
        if body is None:
            limit = self.settings.max_input_bytes
            return b"", problem(413, "too_large", f"the body is over {limit} bytes (PM_AGENT_MAX_INPUT_BYTES)")
        if not verify(key, body, signature):
            return b"", wrong_signature
        return body, None

    async def _enqueue(self, key: str, kind: str, name: str, text: str) -> JSONResponse:
        try:
            result = await anyio.to_thread.run_sync(lambda: self.queue.enqueue(key, kind, name, text))
        except PmAgentError as exc:  # the queue folder cannot be written: the sender should retry later
            return problem(503, "queue_unavailable", str(exc))
        if not result.duplicate:
            self.notify()
        return accepted(result)


def _decoded(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("the body is not UTF-8 text") from None
