"""Where the HTTP transport may listen, checked before the SDK is imported.

Loopback is the default and needs nothing. Any other address makes the server reachable from
other machines, so it requires a bearer token, and the tools stop reading files by path.
"""

from __future__ import annotations

import ipaddress

from pm_agent.errors import ConfigError
from pm_agent.settings import Settings

LOOPBACK_NAMES = ("localhost",)
LOOPBACK_HOST_PATTERNS = ("127.0.0.1:*", "localhost:*", "[::1]:*")


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def token_of(settings: Settings) -> str | None:
    """The configured token; an empty PM_AGENT_HTTP_TOKEN counts as none."""
    if settings.http_token is None:
        return None
    return settings.http_token.get_secret_value() or None


def check_binding(host: str, port: int, token: str | None) -> None:
    """Refuse a binding that would expose the server without a token, or a port that cannot be bound."""
    if not 1 <= port <= 65535:
        raise ConfigError(f"--port {port} is not a TCP port; use 1-65535, e.g. --port 8000")
    if not is_loopback(host) and not token:
        raise ConfigError(
            f"--host {host} makes the server reachable from other machines, so it needs a bearer token: "
            "set PM_AGENT_HTTP_TOKEN to a long random secret (e.g. `openssl rand -hex 32`), "
            "or keep the default --host 127.0.0.1"
        )


def allowed_host_headers(host: str, extra_names: list[str]) -> list[str]:
    """``Host`` headers the DNS-rebinding check accepts: loopback, the bound address, and ``extra_names``."""
    names = [] if is_loopback(host) or _is_wildcard(host) else [_bracketed(host)]
    names += [_bracketed(name) for name in extra_names]
    return list(LOOPBACK_HOST_PATTERNS) + [pattern for name in names for pattern in (name, f"{name}:*")]


def allowed_origins(host_headers: list[str]) -> list[str]:
    """Browser ``Origin`` values matching the accepted hosts, over http and https."""
    return [f"{scheme}://{host}" for host in host_headers for scheme in ("http", "https")]


def _is_wildcard(host: str) -> bool:
    return host in ("0.0.0.0", "::", "[::]")


def _bracketed(host: str) -> str:
    """IPv6 addresses appear in Host headers in brackets."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host
