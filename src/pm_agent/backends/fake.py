"""A scripted backend for tests and demos: answers are queued, requests are recorded."""

from __future__ import annotations

from collections import deque
from typing import Any

from pydantic import BaseModel, ValidationError

from pm_agent.backends.base import (
    BackendFailure,
    BackendInvalidOutput,
    Generation,
    GenerationRequest,
    T,
    redacted_request,
    validation_summary,
)
from pm_agent.backends.prompts import RenderedPrompt, render_prompt
from pm_agent.models import Usage


class FakeBackend:
    """Returns scripted answers in order.

    ``enqueue`` takes a pydantic value, a plain dict (validated into the request's output model,
    like a real model's answer), or an exception to raise (e.g. a :class:`BackendUnavailable`).
    Each call redacts and renders the real prompt first, as a live backend does, so a missing
    variable fails here as it would live; ``history`` keeps ``(request, rendered prompt)`` pairs
    as sent.
    """

    name = "fake"

    def __init__(self, *answers: Any, model: str = "fake-model", redact_emails: bool = True) -> None:
        self.model = model
        self.redact_emails = redact_emails
        self._answers: deque[Any] = deque(answers)
        self.history: list[tuple[GenerationRequest[Any], RenderedPrompt]] = []

    def enqueue(self, *answers: Any) -> FakeBackend:
        """Queue answers (values, dicts, or exceptions); returns the backend for chaining."""
        self._answers.extend(answers)
        return self

    @property
    def pending(self) -> int:
        return len(self._answers)

    def generate(self, request: GenerationRequest[T]) -> Generation[T]:
        request = redacted_request(request, emails=self.redact_emails)
        rendered = render_prompt(request.prompt, request.variables, request.data)
        self.history.append((request, rendered))
        if not self._answers:
            raise BackendFailure(
                f"the fake backend has no scripted answer left for {request.prompt!r}", reason="fake script empty"
            )
        answer = self._answers.popleft()
        if isinstance(answer, BaseException):
            raise answer
        return Generation(
            value=self._validate(answer, request), backend=self.name, model=self.model, usage=Usage(calls=1)
        )

    @staticmethod
    def _validate(answer: Any, request: GenerationRequest[T]) -> T:
        data = answer.model_dump(mode="json") if isinstance(answer, BaseModel) else answer
        try:
            return request.output.model_validate(data)
        except ValidationError as exc:
            raise BackendInvalidOutput(
                f"the scripted answer does not validate as {request.output.__name__}:\n{validation_summary(exc)}",
                reason="fake answer invalid",
            ) from None
