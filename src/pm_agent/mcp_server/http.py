"""The streamable HTTP transport: DNS-rebinding protection always on, a bearer token when configured.

The token is checked on every request, before the SDK sees it, in constant time. Binding a
non-loopback address without one is refused earlier, by :func:`binding.check_binding`.
"""

from __future__ import annotations

import hmac
import logging

import uvicorn
from mcp.server.transport_security import TransportSecuritySettings
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from pm_agent.mcp_server.app import configure_logging, create_server
from pm_agent.mcp_server.binding import (
    allowed_host_headers,
    allowed_origins,
    check_binding,
    is_loopback,
    token_of,
)
from pm_agent.settings import Settings

MCP_PATH = "/mcp"
logger = logging.getLogger("pm_agent.mcp_server")


class BearerTokenGate:
    """ASGI middleware refusing any HTTP request without ``Authorization: Bearer <token>`` (401)."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not self.authorized(scope):
            await self.refuse(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def authorized(self, scope: Scope) -> bool:
        presented = dict(scope["headers"]).get(b"authorization", b"")
        return hmac.compare_digest(presented, self.expected)

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


def http_app(settings: Settings, host: str, allowed_names: list[str] | None = None) -> ASGIApp:
    """The ASGI app: the MCP endpoint at ``/mcp`` behind DNS-rebinding checks and, with a token, the gate."""
    hosts = allowed_host_headers(host, allowed_names or [])
    security = TransportSecuritySettings(
        enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=allowed_origins(hosts)
    )
    server = create_server(settings, allow_paths=is_loopback(host))
    app: ASGIApp = server.streamable_http_app(streamable_http_path=MCP_PATH, transport_security=security, host=host)
    token = token_of(settings)
    return BearerTokenGate(app, token) if token else app


def run_http(settings: Settings, host: str, port: int, allowed_names: list[str] | None = None) -> None:
    """Serve streamable HTTP on ``host:port`` until interrupted; logs go to stderr."""
    check_binding(host, port, token_of(settings))
    configure_logging()
    app = http_app(settings, host, allowed_names)
    shown = f"[{host}]" if ":" in host else host
    logger.info(
        "pm-agent MCP server on http://%s:%d%s (%s)",
        shown,
        port,
        MCP_PATH,
        "bearer token required" if token_of(settings) else "no token: loopback only",
    )
    uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_config=None, lifespan="on")).run()
