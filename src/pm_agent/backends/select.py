"""Choosing the backend: ``PM_AGENT_BACKEND`` (or ``--backend``) = auto | offline | anthropic | sampling | fake.

``auto`` means Claude when ``ANTHROPIC_API_KEY`` is set, else the MCP client's model when the
client offers sampling (the MCP layer passes it in as ``sampling``), else offline. SDKs are
imported only when the backend that needs them is chosen.
"""

from __future__ import annotations

import logging
from typing import Any

from pm_agent.backends.base import Backend
from pm_agent.backends.fake import FakeBackend
from pm_agent.backends.offline import OfflineBackend
from pm_agent.backends.retry import RetryPolicy
from pm_agent.errors import ConfigError
from pm_agent.settings import Settings

log = logging.getLogger("pm_agent.backends")
CHOICES = ("auto", "offline", "anthropic", "sampling", "fake")


def select_backend(settings: Settings, override: str | None = None, sampling: Any = None) -> Backend:
    """The backend to use. ``sampling`` is a :class:`SamplingBackend` (or an async ``create_message``)
    that the MCP layer passes only when the connected client offers sampling."""
    choice = (override or settings.backend).lower()
    if choice not in CHOICES:
        raise ConfigError(f"unknown backend {choice!r}; choose one of {', '.join(CHOICES)}")
    if choice == "auto":
        choice = _auto_choice(settings, sampling)
        log.info("backend auto -> %s", choice)
    if choice == "offline":
        return OfflineBackend()
    backend = (
        FakeBackend()
        if choice == "fake"
        else _sampling_backend(sampling)
        if choice == "sampling"
        else anthropic_backend(settings)
    )
    backend.redact_emails = settings.redact_emails  # every request it sends is redacted; e-mails as configured
    return backend


def _auto_choice(settings: Settings, sampling: Any) -> str:
    if settings.anthropic_api_key is not None and settings.anthropic_api_key.get_secret_value().strip():
        return "anthropic"
    if sampling is not None:
        return "sampling"
    return "offline"


def _sampling_backend(sampling: Any) -> Backend:
    if sampling is None:
        raise ConfigError(
            "the sampling backend needs an MCP client that offers sampling; it works only inside `pm-agent serve`. "
            "Use --backend offline or anthropic here."
        )
    if hasattr(sampling, "generate"):
        return sampling
    from pm_agent.backends.sampling import SamplingBackend

    return SamplingBackend(sampling)


def anthropic_backend(settings: Settings, *, transport: Any = None, retry: RetryPolicy | None = None) -> Backend:
    """The Claude backend from settings: key, model, base URL, timeouts, retries, cassette."""
    from pm_agent.backends.anthropic_backend import AnthropicBackend

    key = settings.anthropic_api_key.get_secret_value().strip() if settings.anthropic_api_key else ""
    if transport is None and settings.cassette_mode != "off":
        transport = _cassette_transport(settings)
    if not key:
        if settings.cassette_mode != "replay":
            raise ConfigError("the anthropic backend needs ANTHROPIC_API_KEY; set it, or use --backend offline")
        key = "cassette-replay"  # replay never reaches the API
    return AnthropicBackend(
        api_key=key,
        model=settings.model,
        base_url=settings.anthropic_base_url,
        max_tokens=settings.max_tokens,
        timeout_s=settings.timeout_s,
        retry=retry or RetryPolicy(max_attempts=settings.max_attempts, deadline_s=settings.deadline_s),
        transport=transport,
    )


def _cassette_transport(settings: Settings) -> Any:
    from pm_agent.backends.cassette import CASSETTE_FILE, CassetteTransport

    if settings.cassette_dir is None:
        raise ConfigError("PM_AGENT_CASSETTE_MODE needs PM_AGENT_CASSETTE_DIR, the folder of the recorded answers")
    try:
        return CassetteTransport(settings.cassette_dir / CASSETTE_FILE, settings.cassette_mode)
    except FileNotFoundError as exc:
        raise ConfigError(str(exc)) from None
