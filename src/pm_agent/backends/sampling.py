"""The MCP-sampling backend: the connected client's own model writes (no API key on our side).

The only module that imports ``mcp``. Sampling gives no control of the model (hints only), no
caching and no structured output, so the answer is asked for as JSON matching the output
model's schema, parsed from the reply text and validated, with one repair round.

Two ways to reach the client's model, one per protocol era, both driven by the same
:class:`SamplingBackend` (``create_message`` is what differs):

- **Push** (2025-11-25 ``initialize`` sessions, what Claude Desktop and Cursor speak):
  :func:`pushed_to` sends ``sampling/createMessage`` on the session's back channel, as the SDK's
  own ``Resolve``/``Sample`` path does on those sessions (``session.create_message`` is
  deprecated by SEP-2577 and warns). ``generate`` is synchronous and must run in a worker thread,
  or ``await backend.agenerate(request)``.
- **Input required** (2026-07-28 sessions, which have no back channel): a :class:`SampleReplay`
  answers from the samples the client already returned (carried in ``request_state``); the first
  request it cannot answer is noted as ``pending`` and fails at once (the service falls back), and
  the tool then returns an ``InputRequiredResult`` asking the client for that sample. The client
  retries the call with the answer and the service runs again, one sample further, until every
  request is answered. The service is deterministic, so each run asks the same requests in order.

Check first with :func:`client_offers_sampling`: asking a client without the capability is a
protocol error, not a fallback.

A client may never answer. Each request therefore waits at most ``timeout_s``, and the requests
of one generation (the repair round included) at most ``deadline_s`` together, as for Claude
(``PM_AGENT_TIMEOUT_S``, ``PM_AGENT_DEADLINE_S``): the time left is kept in the deadline scope of
:mod:`pm_agent.backends.deadline`, :func:`pushed_to` hands it to the SDK as the request's timeout,
and a timeout is a :class:`BackendFailure` (``sampling timeout``), so the offline result is used.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
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
from pm_agent.backends.deadline import DeadlineExceeded, clamp, deadline_scope, time_left
from pm_agent.backends.prompts import render_prompt
from pm_agent.models import Usage

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
        self,
        create_message: CreateMessage,
        *,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        redact_emails: bool = True,
        timeout_s: float | None = None,
        deadline_s: float | None = None,
    ) -> None:
        self._create_message = create_message
        self.max_tokens = max_tokens
        self.redact_emails = redact_emails
        self.timeout_s = timeout_s
        """How long one request may wait for the client's answer (None: no limit of its own)."""
        self.deadline_s = deadline_s
        """How long the requests of one generation may take together (None: no deadline)."""
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
        with _within(self.deadline_s):
            return await self._agenerate(request)

    async def _agenerate(self, request: GenerationRequest[T]) -> Generation[T]:
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
        """The client's answer to one request, waited for until ``timeout_s`` or the deadline, whichever is sooner."""
        try:
            with _within(clamp(self.timeout_s, DeadlineExceeded)):
                return await self._create_message(**params)
        except BackendFailure:
            raise
        except DeadlineExceeded as exc:
            raise BackendFailure(
                f"the MCP client's model could not answer {request.prompt!r} in time: {exc}",
                reason="sampling timeout",
                attempts=1,
            ) from None
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


def pushed_to(session: Any, related_request_id: Any) -> CreateMessage:
    """A ``create_message`` that sends ``sampling/createMessage`` to the client over ``session``'s back channel.

    It waits until the current deadline scope ends (:class:`DeadlineExceeded` then; the SDK tells
    the client it gave up), or without a limit outside one.
    """
    from mcp import MCPError
    from mcp.shared.message import ServerMessageMetadata
    from mcp.types import REQUEST_TIMEOUT, CreateMessageRequest, CreateMessageRequestParams

    async def create_message(**params: Any) -> CreateMessageResult:
        request = CreateMessageRequest(params=CreateMessageRequestParams(**params))
        metadata = ServerMessageMetadata(related_request_id=related_request_id)
        limit = time_left()
        try:
            return await session.send_request(
                request, CreateMessageResult, request_read_timeout_seconds=limit, metadata=metadata
            )
        except MCPError as exc:
            if exc.code == REQUEST_TIMEOUT and limit is not None:
                raise DeadlineExceeded(f"no answer within {limit:.1f}s") from None
            raise

    return create_message


@contextmanager
def _within(seconds: float | None) -> Iterator[None]:
    """A deadline scope of ``seconds`` (none when None): what :func:`pushed_to` waits at most."""
    if seconds is None:
        yield
        return
    with deadline_scope(seconds):
        yield


SAMPLE_KEY = "sample"
MAX_STATE_CHARS = 8_000_000


class SampleReplay:
    """Sampling over 2026-07-28's input-required rounds: answers already given, and the one still wanted.

    ``request_state`` (opaque to the client) holds each answer with a digest of the request it
    answered, so an answer is used only for the same request, and the digest of the request asked
    last round, which the client's new ``input_responses[SAMPLE_KEY]`` answers.
    """

    def __init__(self, answers: list[tuple[str, dict[str, Any]]] | None = None) -> None:
        self.answers = list(answers or [])
        self.used = 0
        self.pending: dict[str, Any] | None = None

    @classmethod
    def resumed(cls, request_state: str | None, responses: dict[str, Any] | None) -> SampleReplay:
        """The replay of a retried call: earlier answers from ``request_state``, plus this round's answer."""
        state = _decoded_state(request_state)
        answers = [(entry["q"], entry["a"]) for entry in state.get("answers", [])]
        response = (responses or {}).get(SAMPLE_KEY)
        if response is not None and state.get("asked"):
            answers.append((state["asked"], response.model_dump(mode="json", by_alias=True, exclude_none=True)))
        return cls(answers)

    async def create_message(self, **params: Any) -> CreateMessageResult:
        digest = _digest(params)
        if self.pending is None and self.used < len(self.answers) and self.answers[self.used][0] == digest:
            self.used += 1
            return CreateMessageResult.model_validate(self.answers[self.used - 1][1])
        if self.pending is None:
            self.pending = params
        raise BackendFailure(
            "waiting for the client's model (asked in this round)", reason="sampling pending", attempts=0
        )

    def state(self) -> str:
        """The ``request_state`` for the round that asks for ``pending``."""
        answers = [{"q": q, "a": a} for q, a in self.answers[: self.used]]
        return json.dumps({"answers": answers, "asked": _digest(self.pending or {})}, separators=(",", ":"))


def _digest(params: dict[str, Any]) -> str:
    import hashlib

    plain = {key: _plain(value) for key, value in params.items()}
    plain["messages"] = [_plain(message) for message in params.get("messages", [])]
    return hashlib.sha256(json.dumps(plain, sort_keys=True, default=str).encode()).hexdigest()


def _plain(value: Any) -> Any:
    return value.model_dump(mode="json") if hasattr(value, "model_dump") else value


def _decoded_state(request_state: str | None) -> dict[str, Any]:
    """The replay state the client echoed; a state this server did not write counts as none."""
    if not request_state or len(request_state) > MAX_STATE_CHARS:
        return {}
    try:
        state = json.loads(request_state)
    except ValueError:
        return {}
    if not isinstance(state, dict) or not isinstance(state.get("answers", []), list):
        return {}
    entries = [entry for entry in state.get("answers", []) if _is_answer(entry)]
    return {"answers": entries, "asked": state.get("asked") if isinstance(state.get("asked"), str) else None}


def _is_answer(entry: Any) -> bool:
    return isinstance(entry, dict) and isinstance(entry.get("q"), str) and isinstance(entry.get("a"), dict)


def parse_answer(text: str, request: GenerationRequest[T]) -> T:
    """The JSON object in ``text`` (a code fence or prose around it tolerated), validated."""
    match = JSON_OBJECT.search(text)
    if match is None:
        raise _InvalidAnswer(
            f"The answer contains no JSON object. Reply with only the {request.tool_name} JSON object."
        )
    try:
        data = json.loads(match.group(0))
    except json.JSONDecodeError as exc:
        raise _InvalidAnswer(
            f"The answer is not valid JSON ({exc.msg} at line {exc.lineno}). Reply with only the JSON object."
        ) from None
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
