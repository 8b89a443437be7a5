"""``pm-agent serve``: run the MCP server, over stdio (desktop clients) or streamable HTTP.

The SDK is imported only once the options are known to be valid, so a bad binding fails fast.
"""

from __future__ import annotations

import argparse

from pm_agent.errors import ConfigError
from pm_agent.service import PostmortemService

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def register(commands: argparse._SubParsersAction) -> None:
    """Add the ``serve`` sub-command."""
    parser = commands.add_parser(
        "serve",
        help="run the MCP server for Claude Desktop, Claude Code, Cursor (stdio or HTTP)",
        description=(
            "Run pm-agent as an MCP server. Over stdio (the default) a desktop client starts it and talks "
            "on stdin/stdout; logs go to stderr. Over HTTP it listens on loopback unless --host says "
            "otherwise, and any other address requires PM_AGENT_HTTP_TOKEN (32+ characters), checked on "
            "every request."
        ),
    )
    parser.add_argument("--transport", choices=("stdio", "http"), default="stdio", help="default: stdio")
    parser.add_argument("--host", help=f"HTTP: address to listen on (default {DEFAULT_HOST})")
    parser.add_argument("--port", type=int, help=f"HTTP: port to listen on (default {DEFAULT_PORT})")
    parser.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        metavar="NAME",
        help="HTTP: a host name clients use to reach the server, accepted by the DNS-rebinding check (repeatable; "
        "loopback, the --host address and, on 0.0.0.0, the machine's own names need none)",
    )
    parser.set_defaults(handler=run_serve)


def run_serve(args: argparse.Namespace, service: PostmortemService) -> int:
    if args.transport == "stdio":
        if args.host or args.port is not None or args.allowed_host:
            raise ConfigError("--host, --port and --allowed-host apply to --transport http only")
        from pm_agent.mcp_server.app import run_stdio

        run_stdio(service)
        return 0
    port = DEFAULT_PORT if args.port is None else args.port
    return serve_http(service, args.host or DEFAULT_HOST, port, args.allowed_host)


def serve_http(service: PostmortemService, host: str, port: int, allowed_names: list[str]) -> int:
    from pm_agent.mcp_server.binding import check_binding, token_of

    check_binding(host, port, token_of(service.settings))
    from pm_agent.mcp_server.http import run_http

    run_http(service, host, port, allowed_names)
    return 0
