"""Where the HTTP transport may listen, checked before the SDK is imported.

Loopback is the default and needs nothing. Any other address makes the server reachable from
other machines, so it requires a bearer token of at least :data:`MIN_TOKEN_CHARS` characters,
and the tools stop reading files by path. A token of only whitespace is refused anywhere: no
client can send it (HTTP strips it from the header).
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket

from pm_agent.errors import ConfigError
from pm_agent.settings import Settings

LOOPBACK_NAMES = ("localhost",)
LOOPBACK_HOST_PATTERNS = ("127.0.0.1:*", "localhost:*", "[::1]:*")
MIN_TOKEN_CHARS = 32
MAKE_TOKEN = '`python -c "import secrets; print(secrets.token_urlsafe(32))"`'


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def token_of(settings: Settings) -> str | None:
    """The configured token, without the whitespace around it that no client could send; an empty
    PM_AGENT_HTTP_TOKEN counts as none, one of only whitespace is refused."""
    if settings.http_token is None:
        return None
    raw = settings.http_token.get_secret_value()
    if raw and not raw.strip():
        raise ConfigError(
            f"PM_AGENT_HTTP_TOKEN is only whitespace, which no client can send: unset it, "
            f"or make a token with {MAKE_TOKEN}"
        )
    return raw.strip() or None


def check_binding(host: str, port: int, token: str | None) -> None:
    """Refuse a binding that would expose the server without a token, or a port that cannot be bound."""
    if not 1 <= port <= 65535:
        raise ConfigError(f"--port {port} is not a TCP port; use 1-65535, e.g. --port 8000")
    if not is_loopback(host) and not token:
        raise ConfigError(
            f"--host {host} makes the server reachable from other machines, so it needs a bearer token: "
            f"set PM_AGENT_HTTP_TOKEN to a long random secret (make one with {MAKE_TOKEN}), "
            "or keep the default --host 127.0.0.1"
        )
    if not is_loopback(host) and len(token) < MIN_TOKEN_CHARS:
        length = f"{len(token)} character{'' if len(token) == 1 else 's'}"
        raise ConfigError(
            f"PM_AGENT_HTTP_TOKEN is {length} long; --host {host} makes the server reachable from other machines, "
            f"so the token must be at least {MIN_TOKEN_CHARS} characters: make one with {MAKE_TOKEN}"
        )


def allowed_host_headers(host: str, extra_names: list[str]) -> list[str]:
    """``Host`` headers the DNS-rebinding check accepts: loopback, the bound address, and ``extra_names``."""
    names = [] if is_loopback(host) or is_wildcard(host) else [_bracketed(host)]
    names += [_bracketed(name) for name in extra_names]
    return list(LOOPBACK_HOST_PATTERNS) + [pattern for name in names for pattern in (name, f"{name}:*")]


def machine_names() -> list[str]:
    """The names and addresses clients on the network may use for this machine: its host name, fully
    qualified name, the addresses they resolve to, and the address of its default route (found without
    sending anything). Accepted as ``Host`` when the server listens on every interface."""
    names = [socket.gethostname(), socket.getfqdn()]
    with contextlib.suppress(OSError):
        names += [info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None)]
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("192.0.2.1", 9))  # a documentation address: UDP connect only picks the route
        names.append(probe.getsockname()[0])
    found = [name.split("%")[0] for name in names if name and not is_loopback(name.split("%")[0])]
    return list(dict.fromkeys(found))


def host_allowed(host: str, patterns: list[str]) -> bool:
    """Whether a ``Host`` header matches one of ``patterns`` (``name`` or ``name:*``), as the SDK's check does."""
    return host in patterns or any(p.endswith(":*") and host.startswith(p[:-1]) for p in patterns)


def allowed_origins(host_headers: list[str]) -> list[str]:
    """Browser ``Origin`` values matching the accepted hosts, over http and https."""
    return [f"{scheme}://{host}" for host in host_headers for scheme in ("http", "https")]


def is_wildcard(host: str) -> bool:
    return host in ("0.0.0.0", "::", "[::]")


def _bracketed(host: str) -> str:
    """IPv6 addresses appear in Host headers in brackets."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host
