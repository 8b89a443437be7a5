"""A local fake of the Anthropic Messages API on 127.0.0.1, for running the real SDK in tests.

It answers ``POST /v1/messages`` with scripted replies in order and records every request
(path, headers, JSON body). It checks no key: the SDK sends ``Authorization: Bearer``, and a
fake that checked ``x-api-key`` would refuse it. With nothing left to say it answers 500 with
``x-should-retry: false``, so a test that forgot a reply fails at once instead of retrying.

Two modes play a broken gateway: :func:`trickled` sends a reply one byte at a time (a slow body
that never trips a read timeout; ``api.hung_up`` is set when the client drops the connection
before the end), and :func:`malformed` answers 200 with any bytes (HTML, other JSON, nothing).
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Reply:
    """One scripted HTTP answer."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None
    """Sent as is instead of ``body`` as JSON."""
    content_type: str = "application/json"
    trickle_s: float = 0.0
    """When above 0, the body goes out one byte at a time, this many seconds apart."""

    def payload(self) -> bytes:
        return self.raw if self.raw is not None else json.dumps(self.body).encode("utf-8")


def tool_use(
    name: str,
    tool_input: dict[str, Any],
    *,
    input_tokens: int = 1520,
    output_tokens: int = 210,
    cache_read: int = 1400,
    cache_write: int = 0,
    model: str = "claude-sonnet-4-6",
) -> Reply:
    """A 200 whose content is one ``tool_use`` block calling ``name`` with ``tool_input``."""
    return Reply(
        200,
        {
            "id": "msg_01FAKE",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [{"type": "tool_use", "id": "toolu_01FAKE", "name": name, "input": tool_input}],
            "stop_reason": "tool_use",
            "stop_sequence": None,
            "usage": {
                "input_tokens": input_tokens,
                "output_tokens": output_tokens,
                "cache_creation_input_tokens": cache_write,
                "cache_read_input_tokens": cache_read,
            },
        },
    )


def text_answer(text: str, stop_reason: str = "end_turn") -> Reply:
    """A 200 whose content is plain text (no tool call)."""
    return Reply(
        200,
        {
            "id": "msg_01TEXT",
            "type": "message",
            "role": "assistant",
            "model": "claude-sonnet-4-6",
            "content": [{"type": "text", "text": text}],
            "stop_reason": stop_reason,
            "stop_sequence": None,
            "usage": {"input_tokens": 100, "output_tokens": 20},
        },
    )


def error(status: int, kind: str, message: str, headers: dict[str, str] | None = None) -> Reply:
    """An API error body, e.g. ``error(529, "overloaded_error", "Overloaded")``."""
    body = {"type": "error", "error": {"type": kind, "message": message}, "request_id": "req_fake"}
    return Reply(status, body, headers or {})


def trickled(reply: Reply, every_s: float = 0.02) -> Reply:
    """``reply`` sent one byte every ``every_s`` seconds, like a gateway that dribbles its answer."""
    return dataclasses.replace(reply, trickle_s=every_s)


def malformed(raw: bytes, content_type: str = "application/json") -> Reply:
    """A 200 whose body is ``raw``, whatever it holds."""
    return Reply(200, None, raw=raw, content_type=content_type)


OVERLOADED = error(529, "overloaded_error", "Overloaded", {"retry-after-ms": "5"})
UNAUTHORIZED = error(401, "authentication_error", "invalid x-api-key")


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


class FakeAnthropicServer:
    """``with FakeAnthropicServer(reply, ...) as api:`` then ``base_url=api.url``; ``api.requests`` after."""

    def __init__(self, *replies: Reply) -> None:
        self._replies: deque[Reply] = deque(replies)
        self.requests: list[Recorded] = []
        self.hung_up = threading.Event()
        """Set when a client drops the connection in the middle of a trickled body."""
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def enqueue(self, *replies: Reply) -> None:
        with self._lock:
            self._replies.extend(replies)

    def __enter__(self) -> FakeAnthropicServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _next(self, recorded: Recorded) -> Reply:
        with self._lock:
            self.requests.append(recorded)
            if self._replies:
                return self._replies.popleft()
        return Reply(
            500,
            {"type": "error", "error": {"type": "api_error", "message": "fake server: no scripted reply"}},
            {"x-should-retry": "false"},
        )

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # the http.server API
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                recorded = Recorded(
                    self.path, {k.lower(): v for k, v in self.headers.items()}, json.loads(raw or b"{}")
                )
                reply = fake._next(recorded)
                payload = reply.payload()
                self.send_response(reply.status)
                self.send_header("content-type", reply.content_type)
                self.send_header("content-length", str(len(payload)))
                self.send_header("request-id", "req_fake")
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                if reply.trickle_s > 0:
                    self._trickle(payload, reply.trickle_s)
                else:
                    self.wfile.write(payload)

            def _trickle(self, payload: bytes, every_s: float) -> None:
                try:
                    for index in range(len(payload)):
                        self.wfile.write(payload[index : index + 1])
                        self.wfile.flush()
                        time.sleep(every_s)
                except OSError:  # the client hung up: what a deadline should make it do
                    fake.hung_up.set()
                    self.close_connection = True

            def log_message(self, *args: object) -> None:
                return

        return Handler
