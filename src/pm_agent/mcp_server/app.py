"""The server object: name, instructions, lifespan, and the tools, resources and prompts on it."""

from __future__ import annotations

import logging
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from mcp import MCPError
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp.types import INVALID_PARAMS, CallToolResult, GetPromptResult, InputRequiredResult
from mcp.types import Tool as MCPTool
from pydantic import ValidationError

from pm_agent import __version__
from pm_agent.mcp_server import memory_tools, prompts, resources, tools
from pm_agent.mcp_server.arguments import clip, clipped_message, unknown_arguments, validation_message
from pm_agent.mcp_server.context import AppState, SampleWanted
from pm_agent.mcp_server.schemas import compact_schema
from pm_agent.service import PostmortemService
from pm_agent.settings import Settings

SERVER_NAME = "pm-agent"
INSTRUCTIONS = (
    "pm-agent writes blameless postmortems from incident data, offline. Start with draft_postmortem on the "
    "incident's alerts, chat, pages, deploys or a text timeline (incident JSON, a Slack export, PagerDuty "
    "log_entries, an Alertmanager webhook, or one timestamped line per event); "
    "refine with five_whys / review_why_chain, "
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
    server: MCPServer[AppState] = PmAgentServer(
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


class PmAgentServer(MCPServer[AppState]):
    """The SDK's server, with the argument checks and messages pm-agent's callers need.

    A tool call with a misspelt argument name is refused (naming the closest valid one) instead of
    running without it; a call whose arguments fail validation gets one line per problem saying what
    to send; every error's echo of a long argument is clipped. A prompt asked with missing or wrong
    arguments, or an unknown prompt, is a JSON-RPC invalid-params error, not an internal error with a
    traceback in the log.
    """

    async def list_tools(self) -> list[MCPTool]:
        """The tools with compact schemas: no nested ``$defs`` (see :mod:`pm_agent.mcp_server.schemas`)."""
        return [
            tool.model_copy(
                update={
                    "output_schema": compact_schema(tool.output_schema) if tool.output_schema else None,
                    "input_schema": (
                        compact_schema(tool.input_schema) if "$defs" in tool.input_schema else tool.input_schema
                    ),
                }
            )
            for tool in await super().list_tools()
        ]

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[AppState, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        schemas = {tool.name: tool.input_schema for tool in await super().list_tools()}
        if name in schemas and (refusal := unknown_arguments(name, arguments, schemas[name])):
            raise ToolError(f"Error executing tool {name}: {refusal}")
        try:
            return await super().call_tool(name, arguments, context)
        except SampleWanted as wanted:
            return wanted.result
        except UnexpectedToolError:
            raise
        except ToolError as exc:
            if isinstance(exc.__cause__, ValidationError) and name in schemas:
                message = f"Error executing tool {name}: {validation_message(exc.__cause__, schemas[name])}"
            else:
                message = str(exc)
            raise ToolError(clipped_message(message, arguments)) from exc.__cause__

    async def get_prompt(
        self, name: str, arguments: dict[str, Any] | None = None, context: Context[AppState, Any] | None = None
    ) -> GetPromptResult | InputRequiredResult:
        listed = {prompt.name: prompt for prompt in await self.list_prompts()}
        if name not in listed:
            raise MCPError(INVALID_PARAMS, f"unknown prompt {clip(name, 60)!r}; prompts: {', '.join(listed)}")
        given = arguments or {}
        takes = [argument.name for argument in listed[name].arguments or []]
        required = [argument.name for argument in listed[name].arguments or [] if argument.required]
        missing = [argument for argument in required if not str(given.get(argument) or "").strip()]
        unknown = unknown_arguments(name, given, {"properties": dict.fromkeys(takes)})
        if missing or unknown:
            problems = [f"missing argument {argument!r}" for argument in missing] + ([unknown] if unknown else [])
            raise MCPError(INVALID_PARAMS, f"prompt {name}: {'; '.join(problems)}".rstrip("."))
        try:
            return await super().get_prompt(name, arguments, context)
        except MCPError:
            raise
        except ValueError as exc:  # the prompt's own argument validation
            raise MCPError(INVALID_PARAMS, f"prompt {name}: {clipped_message(str(exc), given)}") from None


def lifespan_for(
    settings: Settings | None, allow_paths: bool, shared: PostmortemService | None = None
) -> Callable[[MCPServer[AppState]], AbstractAsyncContextManager[AppState]]:
    """The lifespan: one :class:`PostmortemService` per server process, shared by every request (``shared``
    when given, else one over ``settings``, else over the environment's)."""

    @asynccontextmanager
    async def lifespan(_: MCPServer[AppState]) -> AsyncIterator[AppState]:
        service = shared or PostmortemService(settings)
        yield AppState(service=service, allow_paths=allow_paths)

    return lifespan


def configure_logging(level: int = logging.INFO) -> None:
    """Send every log line to stderr: on stdio, stdout carries the protocol and nothing else."""
    logging.basicConfig(
        stream=sys.stderr, level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True
    )


def run_stdio(service: PostmortemService | None = None) -> None:
    """Serve over stdio until the client closes the pipe (what desktop clients launch), with ``service`` (one
    over the environment's settings by default) answering every request."""
    configure_logging(logging.WARNING)
    create_server(service=service).run("stdio")
