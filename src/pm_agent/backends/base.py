"""The one narrow interface every model-backed engine uses, and the fallback to the offline result.

An engine builds a :class:`GenerationRequest` (prompt name, its variables, the untrusted data
blocks, the pydantic model the answer must validate into, and the offline result) and hands it
to a :class:`Backend`. The backend answers with a :class:`Generation`: the validated value and
where it came from. :func:`generate_or_fallback` turns any backend failure into the offline
result, labelled as a fallback, so pm-agent keeps working without a model.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from pm_agent.errors import BackendError
from pm_agent.guards.redaction import describe, redact_model
from pm_agent.models import Usage

T = TypeVar("T", bound=BaseModel)
log = logging.getLogger("pm_agent.backends")

PROVENANCE_FIELDS = frozenset({"generated_by", "backend_notes", "usage"})


@dataclass(frozen=True)
class GenerationRequest(Generic[T]):
    """One structured generation: which prompt, filled with what, answered as which model.

    ``data`` holds untrusted text (incident JSON, a chat log, a draft) by block name; it is sent
    delimited, never as instructions. ``offline`` is the deterministic answer: what the offline
    backend returns and what every other backend falls back to.
    """

    prompt: str
    output: type[T]
    tool_name: str
    variables: Mapping[str, object] = field(default_factory=dict)
    data: Mapping[str, str] = field(default_factory=dict)
    offline: T | None = None
    tool_description: str = ""


@dataclass(frozen=True)
class Generation(Generic[T]):
    """A validated answer and its provenance: backend, model, tokens and cost, notes."""

    value: T
    backend: str
    model: str | None = None
    usage: Usage = field(default_factory=Usage)
    notes: tuple[str, ...] = ()
    attempts: int = 0

    @property
    def generated_by(self) -> str:
        """The label stored in results: ``anthropic claude-sonnet-4-6``, ``offline (fallback: ...)``."""
        return f"{self.backend} {self.model}" if self.model else self.backend

    @property
    def fell_back(self) -> bool:
        return self.backend.startswith("offline (fallback")


class Backend(Protocol):
    """Something that writes a structured answer to a prompt: Claude, the MCP client's model, a fake.

    Every backend that sends a request anywhere passes it through :func:`redacted_request` first.
    """

    name: str

    def generate(self, request: GenerationRequest[T]) -> Generation[T]:
        """The answer to ``request``, validated into ``request.output``; raises :class:`BackendFailure`."""
        ...


class BackendFailure(BackendError):
    """A backend that could not answer; ``reason`` is the short form stored in provenance."""

    def __init__(self, message: str, *, reason: str, usage: Usage | None = None, attempts: int = 0) -> None:
        super().__init__(message)
        self.reason = reason
        self.usage = usage or Usage()
        self.attempts = attempts


class BackendRefused(BackendFailure):
    """The credentials were refused (401/403): not retried."""


class BackendUnavailable(BackendFailure):
    """The service stayed unavailable (429, 529, 5xx, timeouts) until the retries ran out."""


class BackendInvalidOutput(BackendFailure):
    """The answer did not validate, even after one repair round, or the model refused."""


def generate_or_fallback(backend: Backend, request: GenerationRequest[T]) -> Generation[T]:
    """``backend``'s answer, or the request's offline result labelled as a fallback when it fails."""
    try:
        return backend.generate(request)
    except BackendFailure as exc:
        if request.offline is None:
            raise
        log.warning(
            "%s backend failed for %s (%s); using the offline result. %s", backend.name, request.prompt, exc.reason, exc
        )
        return Generation(
            value=request.offline,
            backend=f"offline (fallback: {exc.reason})",
            usage=exc.usage,
            notes=(f"The {backend.name} backend failed, so this is the offline result: {exc}",),
            attempts=exc.attempts,
        )


def redacted_request(request: GenerationRequest[T], *, emails: bool = True) -> GenerationRequest[T]:
    """``request`` with secrets (and e-mail addresses when ``emails``) redacted from its data and variables.

    The last gate before a model sees anything: incidents are redacted as they are loaded, but texts
    given directly (a draft to rewrite, a postmortem to judge) reach a backend only through here.
    """
    data, found_in_data = redact_model(dict(request.data), emails=emails)
    variables, found_in_variables = redact_model(dict(request.variables), emails=emails)
    findings = found_in_data + found_in_variables
    if not findings:
        return request
    log.warning("redacted from the %s request before sending it: %s", request.prompt, describe(findings))
    return dataclasses.replace(request, data=data, variables=variables)


def is_offline(backend: Backend) -> bool:
    """True for the offline backend, whose answer is the deterministic result itself."""
    return backend.name == "offline"


def validation_summary(exc: ValidationError, limit: int = 12) -> str:
    """A pydantic error as short ``field.path: message`` lines, for a repair round or a note."""
    lines = []
    for error in exc.errors(include_url=False)[:limit]:
        where = ".".join(str(part) for part in error["loc"]) or "(root)"
        lines.append(f"- {where}: {error['msg']}")
    more = exc.error_count() - limit
    if more > 0:
        lines.append(f"- ... and {more} more")
    return "\n".join(lines)


def answer_schema(model: type[BaseModel]) -> dict[str, Any]:
    """``model``'s JSON schema without the provenance fields pm-agent fills in itself."""
    return _prune(model.model_json_schema())


def _prune(node: Any) -> Any:
    if isinstance(node, dict):
        out = {key: _prune(value) for key, value in node.items()}
        if isinstance(out.get("properties"), dict):
            out["properties"] = {k: v for k, v in out["properties"].items() if k not in PROVENANCE_FIELDS}
            if isinstance(out.get("required"), list):
                out["required"] = [k for k in out["required"] if k not in PROVENANCE_FIELDS]
        return out
    if isinstance(node, list):
        return [_prune(item) for item in node]
    return node
