"""One error hierarchy for pm-agent.

Every error a user can cause or fix is a :class:`PmAgentError`. Front ends turn it into a
one-line message: the CLI prints it and exits with status 2, the MCP server raises it as a
tool error. Anything else escaping is a bug and keeps its traceback.

A message often quotes what the user sent (a bad timestamp, an unknown id, a field), and that
may hold a secret; the message is shown on a terminal, logged and kept with a failed queued job.
So every message is redacted as the error is made (:func:`echo_safe`), as input is before use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import ValidationError


def echo_safe(message: str) -> str:
    """``message`` with any secret (or e-mail address) it quotes from the input replaced by a placeholder."""
    from pm_agent.guards.redaction import redact  # imported here: redaction's rules load on first use

    return redact(message).text


class PmAgentError(Exception):
    """An error whose message is written for the user and says what to do; what it quotes is redacted."""

    def __init__(self, *args: object) -> None:
        super().__init__(*(echo_safe(arg) if isinstance(arg, str) else arg for arg in args))


class InputError(PmAgentError):
    """Incident data that cannot be read: bad JSON, unknown format, bad timestamps, too large.

    ``source`` names the file (or ``<stdin>``/``<argument>``) so the message can point at it.
    """

    def __init__(self, message: str, source: str | None = None) -> None:
        self.source = source
        self.detail = echo_safe(message)
        super().__init__(f"{source}: {self.detail}" if source else self.detail)


class ConfigError(PmAgentError):
    """A setting or environment variable with an unusable value."""


class PromptError(PmAgentError):
    """A prompt template that is missing or rendered without a declared variable."""


class BackendError(PmAgentError):
    """A language-model backend that failed in a way the user should know about."""


class MemoryStoreError(PmAgentError):
    """The incident memory (vector store or its index) cannot be used."""


class EmbedderMismatchError(MemoryStoreError):
    """The memory's vectors come from another embedder: only ``pm-agent memory reindex`` (a person) fixes it."""


class FetchError(PmAgentError):
    """An incident source (the PagerDuty or Slack API) that could not be read: a refused or expired token, a
    missing scope, an unknown incident or channel, a server that stays unreachable or rate-limited."""


class IntegrationError(PmAgentError):
    """An outside service pm-agent was configured to use (Slack, GitHub, Jira) refused or failed a request."""


class RuleTableError(PmAgentError):
    """A rule table shipped with pm-agent (``pm_agent/data/*.toml``) that is missing or malformed.

    The tables ship with the code, so this is a bug in the package (or a damaged install), not bad input;
    the message names the file and the key so the test that loads every table points straight at it."""


class NotFoundError(PmAgentError):
    """An incident, postmortem or action item id that the memory does not hold."""


def first_problem(exc: ValidationError) -> tuple[str, str]:
    """Where a pydantic validation failed first (a dotted field path, "" for the whole object) and why,
    for the one-line messages the front ends show."""
    first = exc.errors(include_url=False)[0]
    return ".".join(str(part) for part in first["loc"]), first["msg"]
