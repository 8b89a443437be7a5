"""A hard wall-clock limit on one model call, whatever the server does.

httpx2's timeouts bound each socket operation, not a whole response: a gateway that sends one
byte every few seconds resets the read timeout forever. Two layers close that gap:

- :class:`DeadlineNetworkBackend`, the network layer of the Claude backend's own HTTP client
  (:func:`deadline_client`, proxies included), clamps the timeout of every connect, TLS
  handshake, read and write to the time left before the call's deadline (set with
  :func:`deadline_scope`), so a trickled answer is cut at the deadline by the socket itself and
  the connection is closed;
- :func:`run_before`, the outer guard, runs the call in a worker thread and stops waiting when the
  deadline (plus a short grace) passes, for what the socket layer cannot see: an injected
  transport, a blocking name lookup. The caller then closes the client, which aborts the
  abandoned request's connection.

Imported by the Claude adapter and the cassette (it needs ``httpx2`` and ``httpcore2``), and by the
sampling backend, which bounds each request to the client's model by :func:`deadline_scope` too.
"""

from __future__ import annotations

import concurrent.futures
import contextvars
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import httpcore2
import httpx2

R = TypeVar("R")
GRACE_S = 0.5
"""How long the outer guard waits past the deadline for the socket layer to report the timeout itself."""

_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("pm_agent_call_deadline", default=None)


class DeadlineExceeded(TimeoutError):
    """The call was still running when its deadline passed."""


@contextmanager
def deadline_scope(seconds: float) -> Iterator[float]:
    """Every socket operation inside the block ends by ``now + seconds`` (monotonic); yields that moment."""
    moment = time.monotonic() + seconds
    token = _deadline.set(moment)
    try:
        yield moment
    finally:
        _deadline.reset(token)


def time_left() -> float | None:
    """Seconds before the current call's deadline (never negative), or None outside :func:`deadline_scope`."""
    moment = _deadline.get()
    return None if moment is None else max(0.0, moment - time.monotonic())


def clamp(timeout: float | None, expired: type[Exception]) -> float | None:
    """``timeout`` shortened to the time left; ``expired`` raised when none is left."""
    left = time_left()
    if left is None:
        return timeout
    if left <= 0.0:
        raise expired("the call's deadline has passed")
    return left if timeout is None else min(timeout, left)


class DeadlineStream(httpcore2.NetworkStream):
    """A network stream whose every read and write ends by the call's deadline."""

    def __init__(self, inner: httpcore2.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, clamp(timeout, httpcore2.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, clamp(timeout, httpcore2.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore2.NetworkStream:
        secured = self._inner.start_tls(ssl_context, server_hostname, clamp(timeout, httpcore2.ConnectTimeout))
        return DeadlineStream(secured)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class DeadlineNetworkBackend(httpcore2.NetworkBackend):
    """httpcore2's socket backend with every timeout clamped to the call's deadline."""

    def __init__(self, inner: httpcore2.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore2.NetworkStream:
        limit = clamp(timeout, httpcore2.ConnectTimeout)
        return DeadlineStream(self._inner.connect_tcp(host, port, limit, local_address, socket_options))

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore2.NetworkStream:
        limit = clamp(timeout, httpcore2.ConnectTimeout)
        return DeadlineStream(self._inner.connect_unix_socket(path, limit, socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def deadline_client(transport: httpx2.BaseTransport | None = None, **options: Any) -> httpx2.Client:
    """An ``httpx2.Client`` whose own transports (the direct one, and one per proxy taken from
    ``HTTP(S)_PROXY``) run on a :class:`DeadlineNetworkBackend`; an injected ``transport`` is used as is.

    httpx2 takes no network backend as an argument, so the one of each connection pool is replaced;
    an httpx2 without those attributes fails here, loudly, rather than losing the deadline silently.
    """
    if transport is not None:
        return httpx2.Client(transport=transport, **options)
    client = httpx2.Client(**options)  # no transport given: httpx2 honours the proxy variables
    for own in [client._transport, *client._mounts.values()]:  # see the docstring
        if own is not None:
            _bound_by_deadline(own)
    return client


def deadline_transport() -> httpx2.HTTPTransport:
    """httpx2's default transport on a :class:`DeadlineNetworkBackend` (for wrappers such as a cassette)."""
    return _bound_by_deadline(httpx2.HTTPTransport())


def _bound_by_deadline(transport: httpx2.BaseTransport) -> httpx2.HTTPTransport:
    pool = getattr(transport, "_pool", None)
    if not isinstance(transport, httpx2.HTTPTransport) or not hasattr(pool, "_network_backend"):
        raise RuntimeError(
            f"cannot bound {type(transport).__name__} by a deadline: this httpx2 has no network backend to replace"
        )
    pool._network_backend = DeadlineNetworkBackend(pool._network_backend)
    return transport


def run_before(call: Callable[[], R], seconds: float) -> R:
    """``call()``'s result, or :class:`DeadlineExceeded` once ``seconds`` (plus :data:`GRACE_S`) have passed.

    The call runs in a daemon thread that carries the caller's context (so its sockets see the
    deadline, and an abandoned call never keeps the process alive); a call still running at the
    limit is abandoned, and the caller must abort it (close its client). Its exceptions are raised
    here, as if it had run in the caller's thread.
    """
    context = contextvars.copy_context()
    outcome: concurrent.futures.Future[R] = concurrent.futures.Future()

    def work() -> None:
        try:
            outcome.set_result(context.run(call))
        except BaseException as exc:  # handed to the caller, who re-raises it
            outcome.set_exception(exc)

    threading.Thread(target=work, name="pm-agent-model-call", daemon=True).start()
    try:
        return outcome.result(timeout=seconds + GRACE_S)
    except concurrent.futures.TimeoutError:
        raise DeadlineExceeded(f"no answer within {seconds:.1f}s") from None
