"""Model backends behind one narrow interface: offline, Claude, MCP sampling, and a scripted fake.

Importing this package loads no SDK: ``anthropic``/``httpx2`` are imported only by
:mod:`pm_agent.backends.anthropic_backend` (and its cassettes), ``mcp`` only by
:mod:`pm_agent.backends.sampling`, each when first used.
"""

from pm_agent.backends.base import (
    Backend,
    BackendFailure,
    BackendInvalidOutput,
    BackendRefused,
    BackendUnavailable,
    Generation,
    GenerationRequest,
    generate_or_fallback,
    is_offline,
)
from pm_agent.backends.fake import FakeBackend
from pm_agent.backends.offline import OfflineBackend
from pm_agent.backends.retry import RetryPolicy
from pm_agent.backends.select import select_backend

__all__ = [
    "Backend",
    "BackendFailure",
    "BackendInvalidOutput",
    "BackendRefused",
    "BackendUnavailable",
    "FakeBackend",
    "Generation",
    "GenerationRequest",
    "OfflineBackend",
    "RetryPolicy",
    "generate_or_fallback",
    "is_offline",
    "select_backend",
]
