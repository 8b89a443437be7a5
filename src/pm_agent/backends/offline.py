"""The offline backend: the deterministic engines' own result, no model, no network."""

from __future__ import annotations

from pm_agent.backends.base import BackendFailure, Generation, GenerationRequest, T


class OfflineBackend:
    """Answers every request with its offline result; pm-agent's behaviour without a key."""

    name = "offline"

    def generate(self, request: GenerationRequest[T]) -> Generation[T]:
        if request.offline is None:
            raise BackendFailure(
                f"the offline backend has no answer for {request.prompt!r}: it needs a model backend",
                reason="no model backend",
            )
        return Generation(value=request.offline, backend=self.name)
