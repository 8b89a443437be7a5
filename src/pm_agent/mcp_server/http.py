"""The streamable HTTP transport: DNS-rebinding protection always on, a bearer token when configured.

The token is checked on every request to ``/mcp``, before the SDK sees it, in constant time; the
``Bearer`` scheme in any letter case (RFC 9110 makes schemes case-insensitive). Binding a
non-loopback address without a long enough token is refused earlier, by
:func:`binding.check_binding`. The DNS-rebinding check accepts loopback names, the bound address
(on every interface: the machine's names and addresses) and ``--allowed-host`` names; any other
``Host`` gets a 421 that names ``--allowed-host``, and the server logs it.

Beside ``/mcp`` the same server takes webhooks (``/webhooks/pagerduty``, ``/webhooks/incident``):
they are authenticated by their HMAC signatures instead of the token, queue the incident on disk
and answer at once, while a worker started by the app's lifespan drafts the queue behind them.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
import uvicorn
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from pm_agent.automation.queue import JobQueue
from pm_agent.automation.webhooks import WEBHOOK_PREFIX, Webhooks
from pm_agent.automation.worker import Worker
from pm_agent.mcp_server.app import configure_logging, create_server
from pm_agent.mcp_server.binding import (
    allowed_host_headers,
    allowed_origins,
    check_binding,
    host_allowed,
    is_loopback,
    is_wildcard,
    machine_names,
    token_of,
)
from pm_agent.service import PostmortemService

MCP_PATH = "/mcp"
logger = logging.getLogger("pm_agent.mcp_server")


class BearerTokenGate:
    """ASGI middleware refusing any HTTP request without ``Authorization: Bearer <token>`` (401).

    Webhooks are let through: PagerDuty and other senders cannot send the token, and each webhook
    checks its own HMAC signature before reading anything.
    """

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.expected = token.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not is_webhook(scope) and not self.authorized(scope):
            await self.refuse(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def authorized(self, scope: Scope) -> bool:
        presented = dict(scope["headers"]).get(b"authorization", b"")
        scheme, _, credentials = presented.partition(b" ")
        return hmac.compare_digest(credentials.strip(b" "), self.expected) and scheme.lower() == b"bearer"

    @staticmethod
    async def refuse(scope: Scope, receive: Receive, send: Send) -> None:
        response = JSONResponse(
            {
                "error": "invalid_token",
                "error_description": "send the server's token as 'Authorization: Bearer <PM_AGENT_HTTP_TOKEN>'",
            },
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="pm-agent", error="invalid_token"'},
        )
        await response(scope, receive, send)


class HostGate:
    """ASGI middleware answering a ``Host`` the DNS-rebinding check would refuse with a 421 that says how to
    accept it (the SDK's own answer is a bare "Invalid Host header"), and logging it for the operator.

    It applies the SDK's rule to the same list, so it refuses exactly what the SDK would; webhooks are
    let through as before (their signature authenticates them, whatever name the sender used).
    """

    def __init__(self, app: ASGIApp, allowed_hosts: list[str]) -> None:
        self.app = app
        self.allowed_hosts = allowed_hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not is_webhook(scope):
            host = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
            if not host_allowed(host, self.allowed_hosts):
                await self.refuse(host, scope, receive, send)
                return
        await self.app(scope, receive, send)

    @staticmethod
    async def refuse(host: str, scope: Scope, receive: Receive, send: Send) -> None:
        name = _name_of(host) or "NAME"
        logger.warning(
            "refused Host %r (DNS-rebinding protection); restart with --allowed-host %s to accept it", host, name
        )
        response = JSONResponse(
            {
                "error": "misdirected_request",
                "error_description": f"this server does not answer to the host {host!r} (DNS-rebinding "
                f"protection); start it with --allowed-host {name} to accept that name",
            },
            status_code=421,
        )
        await response(scope, receive, send)


def _name_of(host: str) -> str:
    """The name in a ``Host`` header, without its port or an IPv6 address's brackets."""
    if host.startswith("["):
        return host[1:].partition("]")[0]
    return host.rpartition(":")[0] if ":" in host else host


def is_webhook(scope: Scope) -> bool:
    return str(scope.get("path", "")).startswith(WEBHOOK_PREFIX)


def http_app(service: PostmortemService, host: str, allowed_names: list[str] | None = None) -> ASGIApp:
    """The ASGI app: the MCP endpoint at ``/mcp`` behind DNS-rebinding checks and, with a token, the gate;
    the webhooks beside it, and the drafting worker running for the app's lifetime, all over ``service``."""
    names = [*(allowed_names or []), *(machine_names() if is_wildcard(host) else [])]
    hosts = allowed_host_headers(host, names)
    security = TransportSecuritySettings(
        enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=allowed_origins(hosts)
    )
    server = create_server(allow_paths=is_loopback(host), service=service)
    app = server.streamable_http_app(streamable_http_path=MCP_PATH, transport_security=security, host=host)
    add_drafting(app, service)
    token = token_of(service.settings)
    gated = HostGate(app, hosts)
    return BearerTokenGate(gated, token) if token else gated


def add_drafting(app: Starlette, service: PostmortemService) -> Worker:
    """Mount the webhooks on ``app`` and run the drafting worker inside its lifespan.

    The worker first drafts whatever an earlier run left pending in the queue folder (created on
    the first webhook); on shutdown it finishes the draft in progress, or leaves its job pending
    for the next start.
    """
    queue = JobQueue(service.settings.queue_dir, redact_emails=service.settings.redact_emails)
    worker = Worker(queue, service)
    app.router.routes.extend(Webhooks(service, queue, worker.notify).routes())
    mcp_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(inner: Starlette) -> AsyncIterator[object]:
        async with mcp_lifespan(inner) as value:
            worker.start()
            logger.info("drafting queue %s, drafts written to %s", queue.root, worker.output_dir)
            try:
                yield value
            finally:
                if not await anyio.to_thread.run_sync(worker.stop):
                    logger.warning("a draft was still running at shutdown; its job stays queued for the next start")

    app.router.lifespan_context = lifespan
    return worker


def run_http(service: PostmortemService, host: str, port: int, allowed_names: list[str] | None = None) -> None:
    """Serve streamable HTTP on ``host:port`` with ``service`` until interrupted; logs go to stderr."""
    settings = service.settings
    check_binding(host, port, token_of(settings))
    configure_logging()
    app = http_app(service, host, allowed_names)
    shown = f"[{host}]" if ":" in host else host
    logger.info(
        "pm-agent MCP server on http://%s:%d%s (%s)",
        shown,
        port,
        MCP_PATH,
        "bearer token required" if token_of(settings) else "no token: loopback only",
    )
    uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_config=None, lifespan="on")).run()
