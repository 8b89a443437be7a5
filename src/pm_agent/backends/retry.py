"""Retrying a model call on transient failures, with one policy for every backend that needs it.

Retried: what the caller's ``is_retryable`` says (for Claude: 408, 409, 429, 5xx including 529,
timeouts, connection errors). Waits are exponential with jitter, or the server's ``retry-after``
when it sends one, always capped; the whole call is bounded by a deadline, and each attempt is
told how much of it is left, so that one slow answer cannot run past it (the Claude backend turns
that into a hard limit on the attempt). The SDK's own retries stay off so that attempts do not
multiply. Tests inject ``sleep`` to run without waiting.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from tenacity import RetryCallState, RetryError, Retrying, retry_if_exception, stop_after_attempt, stop_after_delay
from tenacity.wait import wait_exponential_jitter

R = TypeVar("R")
log = logging.getLogger("pm_agent.backends.retry")


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: attempts, total deadline, backoff and the cap on a server's ``retry-after``."""

    max_attempts: int = 5
    deadline_s: float = 120.0
    backoff_multiplier_s: float = 1.0
    max_wait_s: float = 30.0
    jitter_s: float = 1.0
    retry_after_cap_s: float = 30.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)


class RetriesExhausted(Exception):
    """Every attempt failed with a retryable error; ``last`` is the final one."""

    def __init__(self, last: BaseException, attempts: int) -> None:
        super().__init__(f"{last} (after {attempts} attempts)")
        self.last = last
        self.attempts = attempts


def call_with_retries(
    call: Callable[[float], R],
    *,
    policy: RetryPolicy,
    is_retryable: Callable[[BaseException], bool],
    retry_after: Callable[[BaseException], float | None] = lambda exc: None,
    label: str = "model call",
) -> tuple[R, int]:
    """``call(seconds_left)``'s result and the number of attempts it took.

    ``seconds_left`` is what remains of the policy's deadline when the attempt starts; the call
    must not run longer. A non-retryable error propagates at once; :class:`RetriesExhausted` is
    raised when the attempts or the deadline run out.
    """
    started = time.monotonic()

    def seconds_left() -> float:
        return max(0.0, policy.deadline_s - (time.monotonic() - started))

    backoff = wait_exponential_jitter(
        multiplier=policy.backoff_multiplier_s, max=policy.max_wait_s, jitter=policy.jitter_s
    )

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        hinted = retry_after(exc) if exc is not None else None
        chosen = min(hinted, policy.retry_after_cap_s) if hinted is not None else backoff(state)
        return max(0.0, min(chosen, seconds_left()))

    def log_retry(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        wait_s = state.next_action.sleep if state.next_action else 0.0
        log.warning(
            "%s failed (attempt %d/%d: %s); retrying in %.2fs",
            label,
            state.attempt_number,
            policy.max_attempts,
            exc,
            wait_s,
        )

    retrying = Retrying(
        retry=retry_if_exception(is_retryable),
        wait=wait,
        stop=stop_after_attempt(policy.max_attempts) | stop_after_delay(policy.deadline_s),
        sleep=policy.sleep,
        before_sleep=log_retry,
        reraise=False,
    )
    try:
        result = retrying(lambda: call(seconds_left()))
    except RetryError as exc:
        last = exc.last_attempt.exception()
        assert last is not None
        raise RetriesExhausted(last, exc.last_attempt.attempt_number) from last
    return result, retrying.statistics.get("attempt_number", 1)
