"""A threaded JSON HTTP server on 127.0.0.1 for the fakes of outside services (trackers, PagerDuty, Slack).

A fake subclasses :class:`FakeService` and answers in :meth:`FakeService.route`; ``requests`` records every
request, and ``fail_next``/``interrupt`` make the next requests answer scripted replies first (a rate limit,
an outage, an expired token), so the real HTTP client meets them end to end.
"""

from __future__ import annotations

import json
import re
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Seen:
    """One request as the fake received it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


class FakeService:
    """A threaded HTTP server routing to :meth:`route`; use it as a context manager."""

    def __init__(self) -> None:
        self.requests: list[Seen] = []
        self._failures: deque[Answer] = deque()
        self.lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def fail_next(self, status: int, body: Any = None, headers: dict[str, str] | None = None, times: int = 1) -> None:
        for _ in range(times):
            self._failures.append(Answer(status, body if body is not None else {}, headers or {}))

    def interrupt(self, *answers: Answer) -> None:
        """Answer the next requests with ``answers``, in order, before answering normally again."""
        with self.lock:
            self._failures.extend(answers)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def calls(self, method: str, path_pattern: str) -> list[Seen]:
        return [seen for seen in self.requests if seen.method == method and re.fullmatch(path_pattern, seen.path)]

    def route(self, seen: Seen) -> Answer:  # pragma: no cover - each fake overrides it
        raise NotImplementedError

    def _answer(self, seen: Seen) -> Answer:
        with self.lock:
            self.requests.append(seen)
            if self._failures:
                return self._failures.popleft()
            return self.route(seen)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
                seen = Seen(
                    self.command,
                    parts.path,
                    query,
                    {k.lower(): v for k, v in self.headers.items()},
                    json.loads(raw) if raw else None,
                )
                answer = fake._answer(seen)
                payload = json.dumps(answer.body).encode("utf-8")
                self.send_response(answer.status)
                self.send_header("content-type", "application/json; charset=utf-8")
                self.send_header("content-length", str(len(payload)))
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _serve  # the http.server API

            def log_message(self, *args: object) -> None:
                return

        return Handler
