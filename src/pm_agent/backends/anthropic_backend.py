"""The Claude backend: the only module that talks to the Anthropic API (``anthropic`` and ``httpx2``).

This module is imported only once the Claude backend is chosen, and imports ``anthropic`` inside
functions, so starting the CLI or the MCP server never loads either SDK. One call is: the rendered prompt (the stable system text sent with cache control,
the incident data delimited in the user turn), a tool whose input schema is the answer's pydantic
model, and ``tool_choice`` forcing that tool. The tool input is validated; an invalid answer gets
one repair round carrying the validation errors, then the failure is reported. Transport
failures are retried by :mod:`pm_agent.backends.retry` (the SDK's own retries are off).

Each attempt has a hard wall-clock limit, ``timeout_s`` or what is left of the retry deadline if
less (:mod:`pm_agent.backends.deadline`): a gateway that trickles its answer is cut off there. A
200 whose body is not a Message (HTML, other JSON, empty, truncated) is an unusable answer, which
the engines replace by the offline result with a note saying so.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import logging
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from pm_agent.backends.base import (
    BackendFailure,
    BackendInvalidOutput,
    BackendRefused,
    BackendUnavailable,
    Generation,
    GenerationRequest,
    T,
    answer_schema,
    redacted_request,
    validation_summary,
)
from pm_agent.backends.deadline import DeadlineExceeded, deadline_client, deadline_scope, run_before
from pm_agent.backends.pricing import estimate_cost
from pm_agent.backends.prompts import RenderedPrompt, render_prompt
from pm_agent.backends.retry import RetriesExhausted, RetryPolicy, call_with_retries
from pm_agent.models import Usage

if TYPE_CHECKING:
    import httpx2

log = logging.getLogger("pm_agent.backends.anthropic")

DEFAULT_MODEL = "claude-sonnet-4-6"
RETRYABLE_STATUS = frozenset({408, 409, 429})
CUT_OFF_STOP_REASONS = frozenset({"max_tokens", "model_context_window_exceeded"})
CACHE_CONTROL = {"type": "ephemeral"}
CONNECT_TIMEOUT_S = 10.0
SHOWN_BODY_CHARS = 80


class AnthropicBackend:
    """Structured answers from Claude by forced tool use, with retries, repair and usage accounting."""

    name = "anthropic"

    def __init__(
        self,
        *,
        api_key: str,
        model: str = DEFAULT_MODEL,
        base_url: str | None = None,
        max_tokens: int = 8192,
        timeout_s: float = 60.0,
        retry: RetryPolicy | None = None,
        transport: httpx2.BaseTransport | None = None,
        redact_emails: bool = True,
    ) -> None:
        import anthropic

        self.model = model
        self.redact_emails = redact_emails
        self.max_tokens = max_tokens
        self.timeout_s = timeout_s
        self.retry = retry or RetryPolicy()

        def new_client() -> anthropic.Anthropic:
            http = deadline_client(transport, limits=anthropic.DEFAULT_CONNECTION_LIMITS, follow_redirects=True)
            return anthropic.Anthropic(
                api_key=api_key, base_url=base_url, max_retries=0, timeout=self._timeout(timeout_s), http_client=http
            )

        self._new_client = new_client
        self._client = new_client()
        self._owns_transport = transport is None

    def close(self) -> None:
        """Release the HTTP connections."""
        self._client.close()

    def _timeout(self, seconds: float) -> Any:
        import httpx2

        return httpx2.Timeout(seconds, connect=min(seconds, CONNECT_TIMEOUT_S))

    def generate(self, request: GenerationRequest[T]) -> Generation[T]:
        request = redacted_request(request, emails=self.redact_emails)
        prompt = render_prompt(request.prompt, request.variables, request.data)
        tool = self._tool(request)
        messages: list[dict[str, Any]] = [_user_turn(prompt)]
        usage, attempts = Usage(), 0
        try:
            for repair_round in (False, True):
                message, tries = self._send(prompt.system, tool, messages)
                attempts += tries
                usage += self._usage(message, request.prompt)
                try:
                    value = self._parse(message, request)
                except _Repairable as problem:
                    if repair_round:
                        raise BackendInvalidOutput(
                            f"Claude's answer for {request.prompt!r} was still invalid after one repair round:\n{problem}",
                            reason="anthropic answer invalid after repair",
                        ) from None
                    log.warning("Claude's %s answer was invalid; asking once more with the errors", request.prompt)
                    messages += _repair_turns(message, problem.feedback)
                    continue
                return Generation(value=value, backend=self.name, model=self.model, usage=usage, attempts=attempts)
        except BackendFailure as exc:
            exc.usage = usage + exc.usage
            exc.attempts += attempts
            raise
        raise AssertionError("unreachable")  # pragma: no cover

    # --- one call -------------------------------------------------------------------------------
    def _tool(self, request: GenerationRequest[Any]) -> dict[str, Any]:
        description = request.tool_description or f"Record the answer as a {request.output.__name__}."
        return {"name": request.tool_name, "description": description, "input_schema": answer_schema(request.output)}

    def _send(self, system: str, tool: dict[str, Any], messages: list[dict[str, Any]]) -> tuple[Any, int]:
        """One ``messages.create`` call with retries; failures become :class:`BackendFailure`."""
        import anthropic

        def call(seconds_left: float) -> Any:
            limit = min(self.timeout_s, seconds_left)
            if limit <= 0.0:
                raise DeadlineExceeded("no time left before the deadline")
            client = self._client

            def send() -> Any:
                with deadline_scope(limit):
                    return client.messages.with_raw_response.create(
                        model=self.model,
                        max_tokens=self.max_tokens,
                        system=[{"type": "text", "text": system, "cache_control": CACHE_CONTROL}],
                        tools=[tool],
                        tool_choice={"type": "tool", "name": tool["name"], "disable_parallel_tool_use": True},
                        messages=messages,
                        timeout=self._timeout(limit),
                    )

            try:
                raw = run_before(send, limit)
            except DeadlineExceeded:
                self._abort(client)
                raise
            return message_from(raw)

        try:
            return call_with_retries(
                call,
                policy=self.retry,
                is_retryable=is_retryable,
                retry_after=retry_after_seconds,
                label=f"anthropic {self.model}",
            )
        except RetriesExhausted as exc:
            what, tries = describe_error(exc.last), _attempts(exc.attempts)
            raise BackendUnavailable(
                f"Claude was unavailable ({what}) on all {tries}: {_api_message(exc.last)}",
                reason=f"anthropic {what} after {tries}",
                attempts=exc.attempts,
            ) from None
        except (anthropic.AuthenticationError, anthropic.PermissionDeniedError) as exc:
            raise BackendRefused(
                f"the Anthropic API refused the key ({exc.status_code}: {_api_message(exc)}). "
                "Check ANTHROPIC_API_KEY, or run with --backend offline.",
                reason=f"anthropic {exc.status_code}, key refused",
                attempts=1,
            ) from None
        except anthropic.APIStatusError as exc:
            hint = " Check PM_AGENT_MODEL." if exc.status_code == 404 else ""
            raise BackendFailure(
                f"the Anthropic API rejected the request ({exc.status_code}: {_api_message(exc)}).{hint}",
                reason=f"anthropic {exc.status_code}",
                attempts=1,
            ) from None
        except anthropic.AnthropicError as exc:
            raise BackendFailure(
                f"the Claude backend could not run: {exc}", reason="anthropic client error", attempts=1
            ) from None

    def _abort(self, client: Any) -> None:
        """Carry on with a new client, closing the abandoned attempt's one (its sockets with it).

        An injected transport (a cassette, a test's) is shared by both clients, so it is left open.
        """
        log.warning("anthropic %s: no answer within the call's time limit; aborting the request", self.model)
        self._client = self._new_client()
        if self._owns_transport:
            client.close()

    def _parse(self, message: Any, request: GenerationRequest[T]) -> T:
        if message.stop_reason == "refusal":
            raise BackendInvalidOutput(f"Claude declined to answer {request.prompt!r}", reason="anthropic refusal")
        if message.stop_reason in CUT_OFF_STOP_REASONS:
            raise BackendInvalidOutput(
                f"Claude's answer for {request.prompt!r} was cut off ({message.stop_reason}); raise PM_AGENT_MAX_TOKENS",
                reason=f"anthropic {message.stop_reason}",
            )
        block = next((b for b in message.content if b.type == "tool_use" and b.name == request.tool_name), None)
        if block is None:
            raise _Repairable(f"Answer only by calling the {request.tool_name} tool.", tool_use_id=None)
        try:
            return request.output.model_validate(block.input)
        except ValidationError as exc:
            raise _Repairable(
                f"The input of {request.tool_name} does not validate:\n{validation_summary(exc)}\n"
                f"Call {request.tool_name} again with the complete, corrected input.",
                tool_use_id=block.id,
            ) from None

    def _usage(self, message: Any, prompt: str) -> Usage:
        raw = message.usage
        usage = Usage(
            calls=1,
            input_tokens=raw.input_tokens or 0,
            output_tokens=raw.output_tokens or 0,
            cache_creation_input_tokens=raw.cache_creation_input_tokens or 0,
            cache_read_input_tokens=raw.cache_read_input_tokens or 0,
        )
        usage = usage.model_copy(update={"estimated_cost_usd": estimate_cost(self.model, usage)})
        cost = (
            f"~${usage.estimated_cost_usd:.4f} (estimate)" if usage.estimated_cost_usd is not None else "cost unknown"
        )
        log.info(
            "anthropic %s %s: %d input, %d output, %d cache-read, %d cache-write tokens, %s",
            self.model,
            prompt,
            usage.input_tokens,
            usage.output_tokens,
            usage.cache_read_input_tokens,
            usage.cache_creation_input_tokens,
            cost,
        )
        return usage


class _Repairable(Exception):
    """An answer worth one more try; ``feedback`` is what the model is told."""

    def __init__(self, feedback: str, tool_use_id: str | None) -> None:
        super().__init__(feedback)
        self.feedback = feedback
        self.tool_use_id = tool_use_id


def _user_turn(prompt: RenderedPrompt) -> dict[str, Any]:
    """The user turn: the delimited data first, then the task (the variable part, not cached)."""
    content = [{"type": "text", "text": prompt.data}] if prompt.data else []
    content.append({"type": "text", "text": prompt.task})
    return {"role": "user", "content": content}


def _repair_turns(message: Any, feedback: str) -> list[dict[str, Any]]:
    """The invalid answer echoed back, then the errors (as a failed tool result when a tool was called)."""
    assistant = [_block_param(block) for block in message.content]
    tool_use = next((b for b in message.content if b.type == "tool_use"), None)
    if tool_use is not None:
        reply: dict[str, Any] = {
            "type": "tool_result",
            "tool_use_id": tool_use.id,
            "is_error": True,
            "content": feedback,
        }
    else:
        reply = {"type": "text", "text": feedback}
    return [{"role": "assistant", "content": assistant}, {"role": "user", "content": [reply]}]


def _block_param(block: Any) -> dict[str, Any]:
    if block.type == "tool_use":
        return {"type": "tool_use", "id": block.id, "name": block.name, "input": block.input}
    if block.type == "text":
        return {"type": "text", "text": block.text}
    return block.model_dump(mode="json", exclude_none=True)


# --- the answer's envelope -----------------------------------------------------------------------
def message_from(raw: Any) -> Any:
    """The ``Message`` a 200 carries; :class:`BackendInvalidOutput` when its body is anything else.

    A gateway or proxy may answer 200 with an HTML page, other JSON, nothing, or a body cut short;
    the SDK would hand back a string, a list or a Message missing its fields, and the first
    attribute read would crash. The body is checked against the envelope this module reads
    (:class:`_Envelope`) first, and the failure says what came back; the SDK then builds the
    Message as usual (tolerating block types newer than this code).
    """
    response = raw.http_response
    body = response.content
    kind = response.headers.get("content-type", "no content type")
    try:
        data = json.loads(body)
    except ValueError:
        raise _unusable(f"not JSON ({_shown(body, kind)})") from None
    try:
        _Envelope.model_validate(data)
    except ValidationError as exc:
        raise _unusable(
            f"JSON that is not a Message ({_shown(body, kind)}):\n{validation_summary(exc, limit=5)}"
        ) from None
    return raw.parse()


class _Block(BaseModel):
    """A content block as far as this module reads it: its type, and for a tool call its id, name and input."""

    model_config = ConfigDict(extra="allow")
    type: str
    id: str | None = None
    name: str | None = None
    input: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _tool_call_is_complete(self) -> _Block:
        if self.type == "tool_use" and (self.id is None or self.name is None or self.input is None):
            raise ValueError("a tool_use block needs an id, a name and an input object")
        return self


class _Usage(BaseModel):
    model_config = ConfigDict(extra="allow")
    input_tokens: int
    output_tokens: int
    cache_creation_input_tokens: int | None = None
    cache_read_input_tokens: int | None = None


class _Envelope(BaseModel):
    """The fields of a Message this module reads; anything else the API adds is allowed."""

    model_config = ConfigDict(extra="allow")
    type: Literal["message"]
    content: list[_Block]
    stop_reason: str | None
    usage: _Usage


def _unusable(what: str) -> BackendInvalidOutput:
    return BackendInvalidOutput(
        f"Claude's answer was unusable: the API returned 200 with {what}",
        reason="anthropic answer unusable",
        attempts=1,
    )


def _shown(body: bytes, kind: str) -> str:
    if not body.strip():
        return f"an empty body, {kind}"
    text = body[:SHOWN_BODY_CHARS].decode("utf-8", "replace")
    more = "..." if len(body) > SHOWN_BODY_CHARS else ""
    return f"{kind}, {len(body)} bytes: {text!r}{more}"


# --- retry predicates ---------------------------------------------------------------------------
def is_retryable(exc: BaseException) -> bool:
    """Retry timeouts, connection errors, 408/409/429 and 5xx (529 included), as the SDK would."""
    import anthropic

    if isinstance(exc, (anthropic.APIConnectionError, DeadlineExceeded)):
        return True
    if isinstance(exc, anthropic.APIStatusError):
        should = exc.response.headers.get("x-should-retry", "").lower()
        if should in ("true", "false"):
            return should == "true"
        return exc.status_code in RETRYABLE_STATUS or exc.status_code >= 500
    return False


def retry_after_seconds(exc: BaseException) -> float | None:
    """The wait a ``retry-after-ms`` or ``retry-after`` (seconds or HTTP date) header asks for."""
    response = getattr(exc, "response", None)
    if response is None:
        return None
    headers = response.headers
    try:
        if "retry-after-ms" in headers:
            return max(0.0, float(headers["retry-after-ms"]) / 1000)
        if "retry-after" in headers:
            value = headers["retry-after"]
            try:
                return max(0.0, float(value))
            except ValueError:
                when = email.utils.parsedate_to_datetime(value)
                return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())
    except (TypeError, ValueError):
        return None
    return None


def describe_error(exc: BaseException) -> str:
    """``529``, ``timeout`` or ``connection error``: the short form used in provenance."""
    import anthropic

    if isinstance(exc, (anthropic.APITimeoutError, DeadlineExceeded)):
        return "timeout"
    if isinstance(exc, anthropic.APIConnectionError):
        return "connection error"
    if isinstance(exc, anthropic.APIStatusError):
        return str(exc.status_code)
    return type(exc).__name__


def _attempts(count: int) -> str:
    return f"{count} attempt" if count == 1 else f"{count} attempts"


def _api_message(exc: BaseException) -> str:
    import anthropic

    if isinstance(exc, (anthropic.APITimeoutError, DeadlineExceeded)):
        return "no complete answer within the time limit (PM_AGENT_TIMEOUT_S per call, PM_AGENT_DEADLINE_S in all)"
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and error.get("message"):
            return f"{error.get('type', 'error')}: {error['message']}"
    return str(exc)
