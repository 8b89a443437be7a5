"""The MCP-sampling backend: the connected client's own model writes (no API key on our side).

The only module that imports ``mcp``. Sampling gives no control of the model (hints only), no
caching and no structured output, so the answer is asked for as JSON matching the output
model's schema, parsed from the reply text and validated, with one repair round.

Two ways to reach the client's model, because the protocol eras differ:

- **Push** (2025-11-25 ``initialize`` sessions, what Claude Desktop and Cursor speak): build
  ``SamplingBackend(ctx.session.create_message)``. Its ``generate`` is synchronous and must run
  in a worker thread (MCPServer runs sync tools in one), or ``await backend.agenerate(request)``.
  On 2026-07-28 sessions push sampling raises ``NoBackChannelError``, reported as a fallback.
- **Resolve** (both eras): a resolver returns ``sample_for(request)`` (a ``Sample``); the tool
  gets the ``CreateMessageResult`` and answers with ``SamplingBackend(answers_from(result))``.
  There is then no repair round: an invalid answer falls back to the offline result.

Check first with :func:`client_offers_sampling`: asking a client without the capability is a
protocol error, not a fallback.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import anyio.from_thread
import anyio.lowlevel
from mcp.types import (
    ClientCapabilities,
    CreateMessageResult,
    ModelHint,
    ModelPreferences,
    SamplingMessage,
    TextContent,
)
from pydantic import ValidationError

from pm_agent.backends.base import (
    BackendFailure,
    BackendInvalidOutput,
    Generation,
    GenerationRequest,
    T,
    answer_schema,
    redacted_request,
    validation_summary,
)
from pm_agent.models import Usage
from pm_agent.prompts import render_prompt

log = logging.getLogger("pm_agent.backends.sampling")

CreateMessage = Callable[..., Awaitable[Any]]
DEFAULT_MAX_TOKENS = 8192
MODEL_HINTS = ModelPreferences(hints=[ModelHint(name="claude-sonnet")], intelligence_priority=0.8)
JSON_OBJECT = re.compile(r"\{.*\}", re.DOTALL)


def client_offers_sampling(capabilities: ClientCapabilities | None) -> bool:
    """True when the connected client declared the sampling capability (``ctx.client_capabilities``)."""
    return capabilities is not None and capabilities.sampling is not None


class SamplingBackend:
    """Answers from the MCP client's model through ``create_message(messages=..., system_prompt=..., max_tokens=...)``."""

    name = "sampling"

    def __init__(
        self, create_message: CreateMessage, *, max_tokens: int = DEFAULT_MAX_TOKENS, redact_emails: bool = True
    ) -> None:
        self._create_message = create_message
        self.max_tokens = max_tokens
        self.redact_emails = redact_emails
        self._token = _current_token()

    def generate(self, request: GenerationRequest[T]) -> Generation[T]:
        """Blocking form of :meth:`agenerate`, for the sync service running in a worker thread."""
        if _on_event_loop_thread():
            raise RuntimeError(
                "SamplingBackend.generate blocks; call it from a worker thread (anyio.to_thread.run_sync) or await agenerate"
            )
        try:
            return anyio.from_thread.run(self.agenerate, request, token=self._token)
        except anyio.NoEventLoopError:
            return anyio.run(self.agenerate, request)

    async def agenerate(self, request: GenerationRequest[T]) -> Generation[T]:
        params = sampling_params(request, self.max_tokens, emails=self.redact_emails)
        messages = list(params["messages"])
        for repair_round in (False, True):
            result = await self._ask(request, {**params, "messages": messages})
            text = _text_of(result)
            try:
                value = parse_answer(text, request)
            except _InvalidAnswer as problem:
                if repair_round:
                    raise BackendInvalidOutput(
                        f"the client's model answered {request.prompt!r} with invalid JSON after one repair round:\n{problem}",
                        reason="sampling answer invalid",
                        attempts=2,
                    ) from None
                log.warning("the client's model gave an invalid %s answer; asking once more", request.prompt)
                messages += [_message("assistant", text), _message("user", str(problem))]
                continue
            model = getattr(result, "model", None) or None
            return Generation(value=value, backend=self.name, model=model, usage=Usage(calls=1 + repair_round))
        raise AssertionError("unreachable")  # pragma: no cover

    async def _ask(self, request: GenerationRequest[Any], params: dict[str, Any]) -> Any:
        try:
            return await self._create_message(**params)
        except BackendFailure:
            raise
        except Exception as exc:  # the client's failure, whatever its type, is a fallback, not a crash
            raise BackendFailure(
                f"the MCP client's model could not answer {request.prompt!r}: {type(exc).__name__}: {exc}",
                reason="sampling failed",
                attempts=1,
            ) from None


def sampling_params(
    request: GenerationRequest[Any], max_tokens: int = DEFAULT_MAX_TOKENS, *, emails: bool = True
) -> dict[str, Any]:
    """The ``create_message`` arguments for ``request`` (redacted): system prompt with the JSON schema, data + task."""
    request = redacted_request(request, emails=emails)
    prompt = render_prompt(request.prompt, request.variables, request.data)
    schema = json.dumps(answer_schema(request.output), separators=(",", ":"))
    system = (
        f"{prompt.system}\n\nAnswer with one JSON object and nothing else (no prose, no code fence). "
        f"It is the input of the {request.tool_name} tool and must match this JSON schema:\n{schema}"
    )
    return {
        "messages": [_message("user", prompt.user)],
        "system_prompt": system,
        "max_tokens": max_tokens,
        "model_preferences": MODEL_HINTS,
    }


def sample_for(request: GenerationRequest[Any], max_tokens: int = DEFAULT_MAX_TOKENS, *, emails: bool = True) -> Any:
    """A ``Sample`` marker for a ``Resolve(...)`` resolver: the same (redacted) prompt the push path sends."""
    from mcp.server.mcpserver import Sample

    params = sampling_params(request, max_tokens, emails=emails)
    return Sample(params.pop("messages"), **params)


def answers_from(*results: CreateMessageResult) -> CreateMessage:
    """A ``create_message`` that returns results already sampled (by ``Resolve``), then fails."""
    queue = list(results)

    async def create_message(**_: Any) -> CreateMessageResult:
        if not queue:
            raise BackendInvalidOutput(
                "the client's model was asked once (through Resolve) and its answer was invalid",
                reason="sampling answer invalid",
            )
        return queue.pop(0)

    return create_message


def parse_answer(text: str, request: GenerationRequest[T]) -> T:
    """The JSON object in ``text`` (a code fence or prose around it tolerated), validated."""
    match = JSON_OBJECT.search(text)
    if match is None:
        raise _InvalidAnswer(f"The answer contains no JSON object. Reply with only the {request.tool_name} JSON object.")
    try:
        data = json.loads(match.group(0))
    except json.JSONDecodeError as exc:
        raise _InvalidAnswer(f"The answer is not valid JSON ({exc.msg} at line {exc.lineno}). Reply with only the JSON object.") from None
    try:
        return request.output.model_validate(data)
    except ValidationError as exc:
        raise _InvalidAnswer(
            f"The JSON does not match the schema:\n{validation_summary(exc)}\nReply with the complete, corrected JSON object only."
        ) from None


class _InvalidAnswer(Exception):
    """A reply that is not the JSON asked for; the message is what the model is told."""


def _message(role: str, text: str) -> SamplingMessage:
    return SamplingMessage(role=role, content=TextContent(type="text", text=text))


def _text_of(result: Any) -> str:
    content = getattr(result, "content", None)
    blocks = content if isinstance(content, list) else [content]
    return "\n".join(block.text for block in blocks if getattr(block, "type", None) == "text")


def _on_event_loop_thread() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _current_token() -> Any:
    """The running event loop's token when built inside one, so a worker thread can call back into it."""
    try:
        return anyio.lowlevel.current_token()
    except RuntimeError:
        return None
