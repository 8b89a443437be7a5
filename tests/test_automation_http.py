"""A real ``pm-agent serve --transport http`` with webhooks: 202 and a draft on disk, 401, 503, 413, 400.

The server runs as a subprocess on a loopback port, with a bearer token so the tests also show
that the token guards ``/mcp`` but not the webhooks (which carry their own HMAC signatures).
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from automation_support import (
    PAGERDUTY_SECRET,
    WEBHOOK_SECRET,
    body_of,
    pagerduty_event,
    pagerduty_signature,
)
from conftest import EXAMPLE
from mcp_support import serving_http

from pm_agent.automation.queue import JobQueue
from pm_agent.automation.signatures import sign_pm_agent

TOKEN = secrets.token_hex(16)
WAIT_S = 60.0


@contextmanager
def webhook_server(state: Path, **variables: str) -> Iterator[tuple[str, Path]]:
    """``pm-agent serve --transport http`` with its own folders under ``state``; yields its base URL and state."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PM_AGENT_")}
    env |= {
        "PM_AGENT_MEMORY_DIR": str(state / "memory"),
        "PM_AGENT_OUTPUT_DIR": str(state / "drafts"),
        "PM_AGENT_QUEUE_DIR": str(state / "queue"),
        "PM_AGENT_EMBEDDER": "lexical",
        "PM_AGENT_HTTP_TOKEN": TOKEN,
        **variables,
    }
    with serving_http(env) as server:
        yield server.url, state
    assert "Traceback" not in server.stderr(), server.stderr()


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict]:
    """POST ``body``; the status and the JSON answer."""
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json", **headers}
    )
    try:
        with urllib.request.urlopen(request, timeout=WAIT_S) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read() or b"{}")


def wait_until_drafted(state: Path, job: str) -> None:
    """Wait for the job to be recorded done: its draft files are written and remembered by then."""
    wait_for(state / "queue" / "done" / f"{job}.json")


def wait_for(path: Path) -> None:
    deadline = time.monotonic() + WAIT_S
    while not path.exists():
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} did not appear within {WAIT_S:.0f} s")
        time.sleep(0.1)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A server with both secrets, started after an earlier run left one job pending in its queue."""
    state = tmp_path_factory.mktemp("webhooks")
    leftover = json.loads(EXAMPLE.read_text()) | {"id": "INC-LEFT-PENDING"}
    queued = JobQueue(state / "queue").enqueue(
        "incident:INC-LEFT-PENDING", "incident", "leftover.json", json.dumps(leftover)
    )
    with webhook_server(
        state,
        PM_AGENT_PAGERDUTY_SECRET=PAGERDUTY_SECRET,
        PM_AGENT_WEBHOOK_SECRET=WEBHOOK_SECRET,
        PM_AGENT_MAX_INPUT_BYTES="200000",
    ) as running:
        yield running + (queued.job.id,)


def test_a_job_left_pending_by_an_earlier_run_is_drafted_when_the_server_starts(server):
    _, state, leftover_job = server
    wait_until_drafted(state, leftover_job)
    assert json.loads((state / "drafts" / "INC-LEFT-PENDING.json").read_text())["incident_id"] == "INC-LEFT-PENDING"


def test_a_signed_pagerduty_resolution_is_accepted_at_once_and_its_draft_appears(server):
    url, state, _ = server
    body = body_of(pagerduty_event(event_id="evt-http-1"))
    status, answer = post(f"{url}/webhooks/pagerduty", body, {"X-PagerDuty-Signature": pagerduty_signature(body)})
    assert (status, answer["status"], answer["state"], len(answer["job"])) == (202, "queued", "pending", 32)
    wait_until_drafted(state, answer["job"])
    draft = json.loads((state / "drafts" / "Q2W8RT5YU1IOP3.json").read_text())
    assert (draft["incident_id"], draft["title"]) == (
        "Q2W8RT5YU1IOP3",
        "Object storage gateway returning 503 for uploads",
    )
    assert (
        (state / "drafts" / "Q2W8RT5YU1IOP3.md")
        .read_text()
        .startswith("# Postmortem: Object storage gateway returning 503 for uploads")
    )


def test_the_same_pagerduty_event_delivered_again_is_a_duplicate_of_the_same_job(server):
    url, _, _ = server
    body = body_of(pagerduty_event(event_id="evt-http-2", id="PDUP0001"))
    headers = {"X-PagerDuty-Signature": pagerduty_signature(body, "old-secret", PAGERDUTY_SECRET)}
    first_status, first = post(f"{url}/webhooks/pagerduty", body, headers)
    again_status, again = post(f"{url}/webhooks/pagerduty", body, headers)
    assert (first_status, again_status) == (202, 202)
    assert (first["status"], again["status"], again["job"]) == ("queued", "duplicate", first["job"])


def test_a_pagerduty_event_other_than_resolved_is_acknowledged_and_ignored(server):
    url, state, _ = server
    body = body_of(pagerduty_event("incident.acknowledged", event_id="evt-http-ack", id="PACK0001"))
    status, answer = post(f"{url}/webhooks/pagerduty", body, {"X-PagerDuty-Signature": pagerduty_signature(body)})
    assert (status, answer) == (200, {"status": "ignored", "event_type": "incident.acknowledged"})
    assert not (state / "drafts" / "PACK0001.md").exists()


def test_an_unsigned_or_badly_signed_webhook_gets_401_and_queues_nothing(server):
    url, state, _ = server
    body = body_of(pagerduty_event(event_id="evt-http-bad", id="PBAD0001"))
    incident = EXAMPLE.read_bytes()
    answers = [
        post(f"{url}/webhooks/pagerduty", body, {}),
        post(f"{url}/webhooks/pagerduty", body, {"X-PagerDuty-Signature": pagerduty_signature(body, "wrong")}),
        post(f"{url}/webhooks/pagerduty", body, {"X-PagerDuty-Signature": pagerduty_signature(body + b" ")}),
        post(f"{url}/webhooks/incident", incident, {}),
        post(f"{url}/webhooks/incident", incident, {"X-PM-Agent-Signature": sign_pm_agent("wrong", incident)}),
        post(f"{url}/webhooks/incident", incident, {"X-PM-Agent-Signature": sign_pm_agent(PAGERDUTY_SECRET, incident)}),
    ]
    assert {(status, answer["error"]) for status, answer in answers} == {(401, "invalid_signature")}
    assert not (state / "drafts" / "PBAD0001.md").exists()


def test_a_signed_incident_json_is_drafted_and_the_bearer_token_is_not_asked_of_webhooks(server):
    url, state, _ = server
    body = json.dumps(json.loads(EXAMPLE.read_text()) | {"id": "INC-HTTP-7"}).encode()
    status, answer = post(
        f"{url}/webhooks/incident", body, {"X-PM-Agent-Signature": sign_pm_agent(WEBHOOK_SECRET, body)}
    )
    assert (status, answer["status"]) == (202, "queued")
    wait_until_drafted(state, answer["job"])
    assert (state / "drafts" / "INC-HTTP-7.json").exists() and (state / "drafts" / "INC-HTTP-7.md").exists()
    status, again = post(
        f"{url}/webhooks/incident", body, {"X-PM-Agent-Signature": sign_pm_agent(WEBHOOK_SECRET, body)}
    )
    assert (status, again["status"], again["job"], again["state"]) == (202, "duplicate", answer["job"], "done")


def test_the_bearer_token_still_guards_the_mcp_endpoint(server):
    url, _, _ = server
    status, answer = post(f"{url}/mcp", b"{}", {"Accept": "application/json, text/event-stream"})
    assert (status, answer["error"]) == (401, "invalid_token")


def test_a_body_that_is_not_json_gets_400_and_json_that_is_not_an_incident_gets_422(server):
    url, _, _ = server
    garbage = b"this is not json"
    not_incident = b'{"hello": "world"}'

    def sign(body):
        return {"X-PM-Agent-Signature": sign_pm_agent(WEBHOOK_SECRET, body)}

    def pd_sign(body):
        return {"X-PagerDuty-Signature": pagerduty_signature(body)}

    bad, unreadable, pd_bad, pd_wrong = (
        post(f"{url}/webhooks/incident", garbage, sign(garbage)),
        post(f"{url}/webhooks/incident", not_incident, sign(not_incident)),
        post(f"{url}/webhooks/pagerduty", garbage, pd_sign(garbage)),
        post(f"{url}/webhooks/pagerduty", not_incident, pd_sign(not_incident)),
    )
    assert (bad[0], bad[1]["error"]) == (400, "bad_request")
    assert bad[1]["error_description"].startswith("incident-webhook: malformed JSON at line 1")
    assert (unreadable[0], unreadable[1]["error"]) == (422, "not_an_incident")
    assert (pd_bad[0], pd_wrong[0]) == (400, 400)
    assert "not a PagerDuty v3 webhook" in pd_wrong[1]["error_description"]


def test_a_body_over_the_size_limit_gets_413_before_its_signature_is_checked(server):
    url, _, _ = server
    large = b'{"title": "' + b"x" * 250_000 + b'"}'
    status, answer = post(
        f"{url}/webhooks/incident", large, {"X-PM-Agent-Signature": sign_pm_agent(WEBHOOK_SECRET, large)}
    )
    assert (status, answer["error"]) == (413, "too_large")
    assert "200000 bytes" in answer["error_description"]


def test_without_the_secrets_each_webhook_answers_503_saying_which_variable_to_set_and_nothing_is_written(tmp_path):
    with webhook_server(tmp_path) as (url, _):
        body = body_of(pagerduty_event())
        pd = post(f"{url}/webhooks/pagerduty", body, {"X-PagerDuty-Signature": pagerduty_signature(body)})
        generic = post(f"{url}/webhooks/incident", EXAMPLE.read_bytes(), {"X-PM-Agent-Signature": "sha256=00"})
    assert sorted(path.name for path in tmp_path.iterdir()) == []  # no job: no queue folder, no drafts
    assert pd == (
        503,
        {
            "error": "not_configured",
            "error_description": "this webhook is off: set PM_AGENT_PAGERDUTY_SECRET on the server to its signing secret",
        },
    )
    assert generic[0] == 503 and "PM_AGENT_WEBHOOK_SECRET" in generic[1]["error_description"]


def raw_post(url: str, path: str, headers: dict[str, str], sent: bytes) -> bytes:
    """POST over a raw socket, sending only ``sent`` of the declared body, and read the answer.

    A server that reads the body before answering waits for bytes that never come; the socket's
    timeout then fails the test instead of hanging it.
    """
    host, port = url.removeprefix("http://").split(":")
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}", *(f"{k}: {v}" for k, v in headers.items()), "", ""]
    with socket.create_connection((host, int(port)), timeout=WAIT_S) as connection:
        connection.sendall("\r\n".join(lines).encode() + sent)
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = connection.recv(65536)
            if not chunk:
                break
            answer += chunk
    return answer


def test_a_webhook_without_a_signature_is_refused_before_its_body_is_read(server):
    url, _, _ = server
    for path in ("/webhooks/incident", "/webhooks/pagerduty"):
        answer = raw_post(url, path, {"Content-Type": "application/json", "Content-Length": "150000"}, b'{"id": ')
        status, _, body = answer.partition(b"\r\n\r\n")
        assert status.startswith(b"HTTP/1.1 401 "), answer
        assert json.loads(body)["error"] == "invalid_signature"


def test_a_webhook_whose_signature_cannot_match_is_refused_before_its_body_is_read(server):
    url, _, _ = server
    for path, header in (
        ("/webhooks/incident", "X-PM-Agent-Signature"),
        ("/webhooks/pagerduty", "X-PagerDuty-Signature"),
    ):
        headers = {"Content-Length": "150000", header: "sha1=abc"}
        status, _, body = raw_post(url, path, headers, b'{"id": ').partition(b"\r\n\r\n")
        assert status.startswith(b"HTTP/1.1 401 ") and json.loads(body)["error"] == "invalid_signature"


def test_an_incident_sent_again_with_the_same_id_and_changed_content_is_queued_and_drafted_again(server):
    url, state, _ = server
    original = json.loads(EXAMPLE.read_text()) | {"id": "INC-HTTP-9"}

    def sign(body):
        return {"X-PM-Agent-Signature": sign_pm_agent(WEBHOOK_SECRET, body)}

    first_body = json.dumps(original).encode()
    status, first = post(f"{url}/webhooks/incident", first_body, sign(first_body))
    wait_until_drafted(state, first["job"])
    changed_body = json.dumps(original | {"title": "Card payments failing: gateway pool exhausted"}).encode()
    status, changed = post(f"{url}/webhooks/incident", changed_body, sign(changed_body))
    assert (status, changed["status"]) == (202, "queued") and changed["job"] != first["job"]
    wait_until_drafted(state, changed["job"])
    draft = json.loads((state / "drafts" / "INC-HTTP-9.json").read_text())
    assert draft["title"] == "Card payments failing: gateway pool exhausted"
