"""Reading pm-agent's own incident JSON."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from pm_agent.errors import InputError
from pm_agent.ingest import ReadOptions, load_incident, load_incident_text
from pm_agent.models import SourceRef

UTC = dt.UTC


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


def test_native_json_becomes_an_incident_with_utc_times_and_references(tmp_path):
    path = write(
        tmp_path,
        "inc.json",
        {
            "id": "INC-7",
            "title": "Search down",
            "severity": "SEV1",
            "started_at": "2024-05-02T10:00:00+02:00",
            "resolved_at": "2024-05-02T09:30:00Z",
            "services": "search, indexer",
            "events": [
                {"at": "2024-05-02T08:05:00Z", "source": "alert", "text": "SearchDown firing"},
                {"at": "2024-05-02T10:01:00+02:00", "source": "slack", "text": "looking", "actor": "sam"},
            ],
            "notes": ["first note", "second note"],
        },
    )
    incident = load_incident([path])
    assert incident.id == "INC-7"
    assert incident.started_at == dt.datetime(2024, 5, 2, 8, 0, tzinfo=UTC)
    assert incident.services == ["search", "indexer"]
    assert [(e.at, e.source, e.text, e.actor, e.refs) for e in incident.events] == [
        (
            dt.datetime(2024, 5, 2, 8, 1, tzinfo=UTC),
            "chat",
            "looking",
            "sam",
            [SourceRef(file=str(path), locator="events[1]")],
        ),
        (
            dt.datetime(2024, 5, 2, 8, 5, tzinfo=UTC),
            "alert",
            "SearchDown firing",
            None,
            [SourceRef(file=str(path), locator="events[0]")],
        ),
    ]
    assert incident.notes == "first note\nsecond note"


def test_an_event_with_unknown_time_is_kept_as_undated_not_placed_by_guess(tmp_path):
    path = write(
        tmp_path,
        "inc.json",
        {
            "title": "x",
            "events": [
                {"at": "2024-05-02T08:05:00Z", "source": "alert", "text": "firing"},
                {"at": None, "time_text": "2024-05-02 14:??", "source": "note", "text": "scaled down"},
            ],
        },
    )
    incident = load_incident([path])
    assert [e.text for e in incident.events] == ["firing"]
    assert [(u.text, u.time_text) for u in incident.undated_events] == [("scaled down", "2024-05-02 14:??")]


def test_naive_times_take_the_given_timezone(tmp_path):
    path = write(
        tmp_path, "inc.json", {"title": "x", "events": [{"at": "2024-05-02 10:00", "source": "note", "text": "a"}]}
    )
    from zoneinfo import ZoneInfo

    incident = load_incident([path], ReadOptions(assume_tz=ZoneInfo("Europe/Oslo")))
    assert incident.events[0].at == dt.datetime(2024, 5, 2, 8, 0, tzinfo=UTC)


def test_inline_text_is_read_like_a_file():
    incident = load_incident_text(
        json.dumps({"title": "t", "events": [{"at": "2024-01-01T00:00:00Z", "source": "note", "text": "x"}]})
    )
    assert incident.title == "t" and incident.sources == ["<input>"]


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"source": "alert", "text": "x"}, "events[0] has no 'at' time"),
        ({"at": "2024-01-01T00:00:00Z", "source": "fax", "text": "x"}, "unknown source 'fax'"),
        ({"at": "2024-01-01T00:00:00Z", "source": "note"}, "events[0] has no 'text'"),
        ({"at": "2024-02-30T10:00:00Z", "source": "note", "text": "x"}, "impossible timestamp"),
        ({"at": "yesterday", "source": "note", "text": "x"}, "unreadable timestamp 'yesterday'"),
    ],
)
def test_bad_events_are_refused_with_the_file_and_the_place(tmp_path, event, message):
    path = write(tmp_path, "inc.json", {"title": "x", "events": [event]})
    with pytest.raises(InputError) as caught:
        load_incident([path])
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)
