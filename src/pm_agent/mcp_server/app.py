"""The server object: name, instructions, lifespan, and the tools, resources and prompts on it."""

from __future__ import annotations

import logging
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from mcp.server.mcpserver import MCPServer

from pm_agent import __version__
from pm_agent.mcp_server import memory_tools, prompts, resources, tools
from pm_agent.mcp_server.context import AppState
from pm_agent.service import PostmortemService
from pm_agent.settings import Settings

SERVER_NAME = "pm-agent"
INSTRUCTIONS = (
    "pm-agent writes blameless postmortems from incident data, offline. Start with draft_postmortem on the "
    "incident's alerts, chat, pages, deploys or a text timeline; refine with five_whys / review_why_chain, "
    "propose_actions / check_actions, rewrite_blameless and fishbone; score any postmortem with "
    "score_postmortem. find_related_incidents searches past incidents; remember_incident stores a final "
    "postmortem; recurring_patterns shows what keeps happening; list_action_items / mark_action_done track "
    "actions. The guided_postmortem prompt walks through the whole review."
)


def create_server(
    settings: Settings | None = None, *, allow_paths: bool = True, service: PostmortemService | None = None
) -> MCPServer[AppState]:
    """A ready-to-run pm-agent MCP server.

    ``allow_paths`` lets tools read incident files by path; turn it off when the server is
    reachable from other machines. ``service`` shares one service (and so one memory) with
    other parts of the process, such as the HTTP server's drafting worker.
    """
    server: MCPServer[AppState] = MCPServer(
        SERVER_NAME,
        title="pm-agent: blameless postmortems",
        version=__version__,
        instructions=INSTRUCTIONS,
        lifespan=lifespan_for(settings, allow_paths, service),
    )
    tools.register(server)
    memory_tools.register(server)
    resources.register(server)
    prompts.register(server)
    return server


def lifespan_for(
    settings: Settings | None, allow_paths: bool, shared: PostmortemService | None = None
) -> Callable[[MCPServer[AppState]], AbstractAsyncContextManager[AppState]]:
    """The lifespan: one :class:`PostmortemService` per server process, shared by every request."""

    @asynccontextmanager
    async def lifespan(_: MCPServer[AppState]) -> AsyncIterator[AppState]:
        service = shared or PostmortemService(settings or Settings())
        yield AppState(service=service, allow_paths=allow_paths)

    return lifespan


def configure_logging(level: int = logging.INFO) -> None:
    """Send every log line to stderr: on stdio, stdout carries the protocol and nothing else."""
    logging.basicConfig(
        stream=sys.stderr, level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True
    )


def run_stdio(settings: Settings | None = None) -> None:
    """Serve over stdio until the client closes the pipe (what desktop clients launch)."""
    configure_logging(logging.WARNING)
    create_server(settings).run("stdio")
