"""Key-aware redaction of structured data: a value under a key that names a secret is replaced
whatever it looks like, wherever incident data rests (the queue on disk, the memory, requests).

Every sample is made up; none of the values below matches a token format on its own, which is
the point: only the key says they are secrets.
"""

from __future__ import annotations

import json

import pytest

from pm_agent.automation.queue import JobQueue
from pm_agent.guards.redaction import Finding, redact_document, redact_model, redact_structured, secret_key_kind


def r(kind: str) -> str:
    return f"[REDACTED:{kind}]"


def test_a_value_under_a_secret_key_is_replaced_whatever_it_looks_like():
    data = {
        "id": "INC-7",
        "password": "hunter2",
        "db": {"dbPassword": "rosebud", "port": 5432, "host": "db.internal"},
        "client_secret": 123456,
        "X-API-Key": "plain",
        "access_token": ["abc", "def"],
        "events": [{"at": "2024-03-01T14:02:11Z", "text": "pool exhausted"}],
    }
    redacted, findings = redact_structured(data)
    assert redacted == {
        "id": "INC-7",
        "password": r("password"),
        "db": {"dbPassword": r("password"), "port": 5432, "host": "db.internal"},
        "client_secret": r("secret"),
        "X-API-Key": r("api-key"),
        "access_token": [r("token"), r("token")],
        "events": [{"at": "2024-03-01T14:02:11Z", "text": "pool exhausted"}],
    }
    assert findings == (Finding("password", 2), Finding("secret", 1), Finding("api-key", 1), Finding("token", 2))
    assert data["password"] == "hunter2"  # the original is not changed


def test_an_environment_entry_names_its_secret_beside_the_value():
    data = {"env": [{"name": "DB_PASSWORD", "value": "rosebud"}, {"name": "LOG_LEVEL", "value": "debug"}]}
    redacted, _ = redact_structured(data)
    assert redacted == {
        "env": [{"name": "DB_PASSWORD", "value": r("password")}, {"name": "LOG_LEVEL", "value": "debug"}]
    }


def test_nothing_under_a_secret_key_stays_nothing_and_keys_that_only_look_close_are_kept():
    data = {
        "password": None,
        "token": "",
        "secret": False,
        "tokens": 1200,
        "token_type": "bearer",
        "secret_name": "prod-db",
        "key": "checkout",
        "author": "dana",
    }
    assert redact_structured(data) == (data, ())


@pytest.mark.parametrize(
    ("key", "kind"),
    [
        ("password", "password"),
        ("DB_PASSWORD", "password"),
        ("dbPassword", "password"),
        ("PGPASSWORD", "password"),
        ("pwd", "password"),
        ("db_pass", "password"),
        ("client_secret", "secret"),
        ("credentials", "secret"),
        ("X-API-Key", "api-key"),
        ("apiKey", "api-key"),
        ("access_token", "token"),
        ("_authToken", "token"),
        ("auth", "token"),
        ("Authorization", "token"),
        ("Cookie", "cookie"),
        ("tokens", None),
        ("secret_name", None),
        ("token_type", None),
        ("key", None),
        ("author", None),
        ("bypass", None),
        ("compass", None),
        ("password_file", None),
    ],
)
def test_a_key_names_a_secret_when_it_ends_with_a_secret_word(key, kind):
    assert secret_key_kind(key) == kind


def test_a_json_document_loses_the_values_of_its_secret_keys_and_stays_valid_json():
    document = json.dumps({"id": "INC-7", "password": "hunter2", "events": []})
    result = redact_document(document)
    assert json.loads(result.text) == {"id": "INC-7", "password": r("password"), "events": []}
    assert "hunter2" not in result.text


def test_a_queued_payload_keeps_no_secret_value_on_disk(tmp_path):
    payload = {
        "id": "INC-7",
        "title": "checkout 502s",
        "config": {"password": "hunter2", "apiKey": "plain-value"},
        "events": [{"at": "2024-03-01T14:02:11Z", "source": "chat", "text": "PGPASSWORD=rosebud psql failed"}],
    }
    JobQueue(tmp_path / "queue").enqueue("incident:INC-7", "incident", "inc-7.json", json.dumps(payload))
    on_disk = "".join(path.read_text() for path in (tmp_path / "queue").rglob("*") if path.is_file())
    assert "hunter2" not in on_disk and "plain-value" not in on_disk and "rosebud" not in on_disk
    assert r("password") in on_disk and r("api-key") in on_disk


def test_a_model_with_a_dict_field_is_redacted_by_key_too():
    from pm_agent.memory.records import MemoryRecord

    record = MemoryRecord(
        id="pm-1", kind="incident", source_id="INC-7", title="checkout 502s", extra={"token": "plain"}
    )
    redacted, findings = redact_model(record)
    assert (redacted.extra, findings) == ({"token": r("token")}, (Finding("token", 1),))
