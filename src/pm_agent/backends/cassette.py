"""Recorded model answers ("cassettes") at the HTTP transport level, to replay a Claude run offline.

A cassette is one JSON file of successful exchanges keyed by the request: sha256 of the method,
path and JSON body, plus ``#n``, the how-many-th identical request it answers (so k identical
judge calls replay as k answers; the index advances only on a 200, so retries do not shift it).

- ``record`` sends requests through the real transport and stores every 200 with its request
  body, so a review can diff what was asked.
- ``replay`` never touches the network; a request the cassette does not hold gets a 400 with
  ``x-should-retry: false`` and error type ``cassette_miss``, i.e. one clear failure, no retries.
  A changed prompt is a miss, which is the signal to re-record.

Imported only by the Claude adapter (it needs ``httpx2``).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import Counter
from pathlib import Path
from typing import Any, Literal

import httpx2

from pm_agent.backends.deadline import deadline_transport

CassetteMode = Literal["record", "replay"]
CASSETTE_FILE = "anthropic.cassette.json"
VOLATILE_BODY_KEYS = frozenset({"metadata"})
KEPT_RESPONSE_HEADERS = ("content-type", "request-id")


def request_key(method: str, path: str, body: bytes) -> str:
    """The stable identity of a request: method, path and canonical JSON body (volatile keys dropped)."""
    try:
        parsed = json.loads(body or b"null")
    except ValueError:
        parsed = body.decode("utf-8", "replace")
    if isinstance(parsed, dict):
        parsed = {k: v for k, v in parsed.items() if k not in VOLATILE_BODY_KEYS}
    canonical = json.dumps({"method": method, "path": path, "body": parsed}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class CassetteTransport(httpx2.BaseTransport):
    """An ``httpx2`` transport that records 200 responses to ``path`` or replays them from it."""

    def __init__(self, path: Path, mode: CassetteMode, inner: httpx2.BaseTransport | None = None) -> None:
        self.path = Path(path)
        self.mode = mode
        self._inner = inner if inner is not None or mode == "replay" else deadline_transport()
        self._entries: dict[str, dict[str, Any]] = self._load()
        self._seen: Counter[str] = Counter()
        self._lock = threading.Lock()

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        body = request.read()
        key = request_key(request.method, request.url.path, body)
        if self.mode == "replay":
            return self._replay(key)
        response = self._inner.handle_request(request)
        if response.status_code != 200:
            return response
        content = response.read()
        with self._lock:
            slot = f"{key}#{self._seen[key]}"
            self._seen[key] += 1
            self._entries[slot] = {
                "request": _json_or_text(body),
                "status": 200,
                "headers": {h: response.headers[h] for h in KEPT_RESPONSE_HEADERS if h in response.headers},
                "response": _json_or_text(content),
            }
            self._save()
        return httpx2.Response(200, headers=response.headers, content=content, request=request)

    def _replay(self, key: str) -> httpx2.Response:
        with self._lock:
            slot = f"{key}#{self._seen[key]}"
            entry = self._entries.get(slot)
            if entry is not None:
                self._seen[key] += 1
        if entry is None:
            error = {
                "type": "cassette_miss",
                "message": f"no recorded answer for request {slot} in {self.path}; re-record it",
            }
            return httpx2.Response(400, headers={"x-should-retry": "false"}, json={"type": "error", "error": error})
        return httpx2.Response(200, headers=entry.get("headers", {}), json=entry["response"])

    def _load(self) -> dict[str, dict[str, Any]]:
        if not self.path.is_file():
            if self.mode == "replay":
                raise FileNotFoundError(
                    f"cassette {self.path} does not exist; record it first (PM_AGENT_CASSETTE_MODE=record)"
                )
            return {}
        return json.loads(self.path.read_text(encoding="utf-8")).get("entries", {})

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        document = {"version": 1, "entries": self._entries}
        self.path.write_text(
            json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8"
        )

    def close(self) -> None:
        if self._inner is not None:
            self._inner.close()


def _json_or_text(content: bytes) -> Any:
    try:
        return json.loads(content)
    except ValueError:
        return content.decode("utf-8", "replace")
