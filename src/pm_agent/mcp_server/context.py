"""What every tool shares: the server's state, error conversion, the writing backend, progress, results.

The lifespan builds one :class:`AppState` per server process. Tools receive its service through a
``Resolve`` marker (hidden from their input schemas) and reach the memory through
:func:`app_state`, so nothing lives in module globals.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar

import anyio.to_thread
from mcp.server.mcpserver import Context, Resolve
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent
from mcp.types.version import HANDSHAKE_PROTOCOL_VERSIONS
from pydantic import BaseModel

from pm_agent.backends import Backend
from pm_agent.backends.sampling import SamplingBackend, client_offers_sampling
from pm_agent.errors import InputError, PmAgentError
from pm_agent.memory import Memory
from pm_agent.safe_paths import check_input_path, input_roots
from pm_agent.service import PostmortemService

T = TypeVar("T")


@dataclass
class AppState:
    """The server's long-lived state, built once by the lifespan."""

    service: PostmortemService
    allow_paths: bool = True
    """False when the server is reachable from other machines: then tools refuse file paths."""
    def with_memory(self, use: Callable[[Memory], T]) -> T:
        """``use(memory)``, on the service's incident memory, opened on first use (start-up never opens
        its store). Blocking: call it from a worker thread; the service serialises the calls."""
        return self.service.with_memory(use)


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
    client can sample on this session, else the offline engine. Build it on the event loop (the
    sampling backend calls back into it from the worker thread) and close it after the call.
    """
    backend = service.backend(sampling=client_sampling(ctx))
    try:
        yield backend
    finally:
        close = getattr(backend, "close", None)
        if callable(close):
            close()


def client_sampling(ctx: Context) -> SamplingBackend | None:
    """The client's model, when it offers sampling on an ``initialize``-era session.

    Push sampling has no back channel on 2026-07-28 sessions, so those get the next choice.
    """
    if not client_offers_sampling(ctx.client_capabilities) or ctx.protocol_version not in HANDSHAKE_PROTOCOL_VERSIONS:
        return None
    return SamplingBackend(ctx.session.create_message)


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
    """Numbered progress notifications for one call (a no-op when the client sent no token)."""

    def __init__(self, ctx: Context, stages: int) -> None:
        self.ctx = ctx
        self.stages = stages
        self.done = 0

    async def advance(self, message: str) -> None:
        self.done += 1
        await self.ctx.report_progress(self.done, self.stages, message)


def structured(model: BaseModel, text: str) -> CallToolResult:
    """A tool result carrying ``model`` as structured content and ``text`` for people to read."""
    return CallToolResult(
        content=[TextContent(type="text", text=text)],
        structured_content=model.model_dump(mode="json"),
    )
