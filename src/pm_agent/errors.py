"""One error hierarchy for pm-agent.

Every error a user can cause or fix is a :class:`PmAgentError`. Front ends turn it into a
one-line message: the CLI prints it and exits with status 2, the MCP server raises it as a
tool error. Anything else escaping is a bug and keeps its traceback.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import ValidationError


class PmAgentError(Exception):
    """An error whose message is written for the user and says what to do."""


class InputError(PmAgentError):
    """Incident data that cannot be read: bad JSON, unknown format, bad timestamps, too large.

    ``source`` names the file (or ``<stdin>``/``<argument>``) so the message can point at it.
    """

    def __init__(self, message: str, source: str | None = None) -> None:
        self.source = source
        self.detail = message
        super().__init__(f"{source}: {message}" if source else message)


class ConfigError(PmAgentError):
    """A setting or environment variable with an unusable value."""


class PromptError(PmAgentError):
    """A prompt template that is missing or rendered without a declared variable."""


class BackendError(PmAgentError):
    """A language-model backend that failed in a way the user should know about."""


class MemoryStoreError(PmAgentError):
    """The incident memory (vector store or its index) cannot be used."""


class IntegrationError(PmAgentError):
    """An outside service pm-agent was configured to use (Slack, GitHub, Jira) refused or failed a request."""


class NotFoundError(PmAgentError):
    """An incident, postmortem or action item id that the memory does not hold."""


def first_problem(exc: ValidationError) -> tuple[str, str]:
    """Where a pydantic validation failed first (a dotted field path, "" for the whole object) and why,
    for the one-line messages the front ends show."""
    first = exc.errors(include_url=False)[0]
    return ".".join(str(part) for part in first["loc"]), first["msg"]
