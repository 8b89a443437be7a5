"""What every tool shares: the server's state, error conversion, the writing backend, progress, results.

The lifespan builds one :class:`AppState` per server process. Tools receive its service through a
``Resolve`` marker (hidden from their input schemas) and reach the memory only through that
service's methods (which open it on first use), so nothing lives in module globals.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar

import anyio.lowlevel
import anyio.to_thread
from mcp import MCPError
from mcp.server.mcpserver import Context, Resolve
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import (
    CallToolResult,
    CreateMessageRequest,
    CreateMessageRequestParams,
    InputRequiredResult,
    TextContent,
)
from mcp.types.version import HANDSHAKE_PROTOCOL_VERSIONS
from pydantic import BaseModel

from pm_agent.backends import Backend
from pm_agent.backends.sampling import (
    SAMPLE_KEY,
    SampleReplay,
    SamplingBackend,
    client_offers_sampling,
    pushed_to,
)
from pm_agent.errors import ConfigError, InputError, PmAgentError
from pm_agent.guards.safe_paths import check_input_path, input_roots
from pm_agent.service import PostmortemService

T = TypeVar("T")


@dataclass
class AppState:
    """The server's long-lived state, built once by the lifespan."""

    service: PostmortemService
    allow_paths: bool = True
    """False when the server is reachable from other machines: then tools refuse file paths."""


def app_state(ctx: Context) -> AppState:
    return ctx.request_context.lifespan_context


def service_of(ctx: Context) -> PostmortemService:
    """Resolver: the lifespan's service."""
    return app_state(ctx).service


Service = Annotated[PostmortemService, Resolve(service_of)]


@contextmanager
def tool_errors(hint: str = "") -> Iterator[None]:
    """Turn a :class:`PmAgentError` into a :class:`ToolError` the model can act on.

    The error's own text says what was wrong; ``hint`` says what to send instead. Any other
    exception is a bug: the SDK logs its traceback to stderr and hides it from the client.
    """
    try:
        yield
    except PmAgentError as exc:
        message = str(exc).rstrip(".")
        raise ToolError(f"{message}. {hint}".strip()) from exc


@contextmanager
def writing_backend(service: PostmortemService, ctx: Context) -> Iterator[Backend]:
    """Who writes the analysis: the service's choice (``PM_AGENT_BACKEND``, ``auto`` by default).

    ``auto`` picks Claude when ``ANTHROPIC_API_KEY`` is set, else the client's own model when the
    client offers sampling, else the offline engine. Build it on the event loop (the sampling
    backend calls back into it from the worker thread) and close it after the call.

    On a 2026-07-28 session the client's model answers across input-required rounds: when the
    body asked for a sample the client has not given yet, leaving this block raises
    :class:`SampleWanted`, and the server answers the call with that request instead of a result.
    """
    replay = sample_replay(ctx)
    sampling = client_sampling(ctx, replay)
    try:
        backend = service.backend(sampling=sampling)
    except ConfigError as exc:
        if sampling is None and service.settings.backend.lower() == "sampling":
            raise ToolError(NO_SAMPLING) from exc
        raise
    try:
        yield backend
    finally:
        close = getattr(backend, "close", None)
        if callable(close):
            close()
    if replay is not None and replay.pending is not None and backend is sampling:
        raise SampleWanted(
            InputRequiredResult(
                input_requests={SAMPLE_KEY: CreateMessageRequest(params=CreateMessageRequestParams(**replay.pending))},
                request_state=replay.state(),
            )
        )


NO_SAMPLING = (
    "PM_AGENT_BACKEND is 'sampling', but this client does not offer sampling (its own model); "
    "set ANTHROPIC_API_KEY and PM_AGENT_BACKEND=anthropic, or use the offline backend (PM_AGENT_BACKEND=offline)"
)


class SampleWanted(MCPError):
    """Not an error: the call needs a sample from the client's model first (2026-07-28 input-required round).

    An :class:`MCPError` so the SDK passes it through the tool unchanged; the server turns it into
    the :class:`InputRequiredResult` it carries.
    """

    def __init__(self, result: InputRequiredResult) -> None:
        super().__init__(code=0, message="input required: a sample from the client's model")
        self.result = result


def sample_replay(ctx: Context) -> SampleReplay | None:
    """The input-required sampling state of this call, on a 2026-07-28 session whose client samples."""
    if not client_offers_sampling(ctx.client_capabilities) or ctx.protocol_version in HANDSHAKE_PROTOCOL_VERSIONS:
        return None
    return SampleReplay.resumed(ctx.request_state, ctx.input_responses)


def client_sampling(ctx: Context, replay: SampleReplay | None = None) -> SamplingBackend | None:
    """The client's model, when it offers sampling: pushed over the back channel on ``initialize``-era
    sessions, replayed across input-required rounds on 2026-07-28 ones; each request bounded by
    ``PM_AGENT_TIMEOUT_S`` and the generation by ``PM_AGENT_DEADLINE_S``."""
    if not client_offers_sampling(ctx.client_capabilities):
        return None
    settings = app_state(ctx).service.settings  # the limits of a Claude call bound each sample too
    create_message = replay.create_message if replay is not None else pushed_to(ctx.session, ctx.request_id)
    return SamplingBackend(create_message, timeout_s=settings.timeout_s, deadline_s=settings.deadline_s)


def check_paths_allowed(ctx: Context, paths: list[str]) -> list[Path]:
    """Refuse file paths on a server other machines can reach: a caller must not read our files.

    Where paths are allowed (stdio, loopback HTTP), each must lie inside the input roots
    (``PM_AGENT_INPUT_ROOTS``, by default the server's working folder), reached without ``..``,
    NUL bytes or URL-encoded separators. Returns the roots: pass them on to
    ``service.incident_from(..., roots=...)``, which checks every file again (folders expanded)
    and reads it without following links, since this early check is no promise about later.
    """
    if not paths:
        return []
    if any(not path.strip() for path in paths):  # "" resolves to the working folder: every file in it
        raise ToolError(
            "argument 'paths' holds an empty path; send file paths, or the incident's content in 'incident'."
        )
    state = app_state(ctx)
    if not state.allow_paths:
        raise ToolError(
            "this server is reachable over the network, so it does not read files by path; "
            "send the file's content in the 'incident' argument instead"
        )
    roots = input_roots(state.service.settings.input_roots)
    for path in paths:
        try:
            check_input_path(path, roots)
        except InputError as exc:
            raise ToolError(str(exc)) from exc
    return roots


async def in_thread(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run blocking engine work in a worker thread, keeping the event loop free for progress."""
    return await anyio.to_thread.run_sync(functools.partial(fn, *args, **kwargs))


class Progress:
    """Numbered progress notifications for one call (a no-op when the client sent no token), and the
    point between stages where a cancelled call stops."""

    def __init__(self, ctx: Context, stages: int) -> None:
        self.ctx = ctx
        self.stages = stages
        self.done = 0

    async def advance(self, message: str) -> None:
        """Report a finished stage; stop here when the client cancelled the call.

        The SDK cancels a call's scope on ``notifications/cancelled`` (the next ``await`` raises);
        a server that only flags the request (``cancel_requested``) stops here too, so no later stage
        runs. The stage in hand finishes first: it runs in a worker thread that cannot be interrupted.
        """
        self.done += 1
        await anyio.lowlevel.checkpoint()
        if cancel_requested(self.ctx):
            raise ToolError(f"cancelled by the client after {self.done} of {self.stages} stages")
        await self.ctx.report_progress(self.done, self.stages, message)


def cancel_requested(ctx: Context) -> bool:
    """True when the client sent ``notifications/cancelled`` for this call."""
    event = getattr(ctx.request_context, "cancel_requested", None)
    return bool(event is not None and event.is_set())


def structured(model: BaseModel, text: str) -> CallToolResult:
    """A tool result carrying ``model`` as structured content and ``text`` for people to read."""
    return CallToolResult(
        content=[TextContent(type="text", text=text)],
        structured_content=model.model_dump(mode="json"),
    )
