"""Limits on what one input may hold: bytes per file, events per incident, characters per field.

Each over-long field is refused with one line naming its place, its length and the variable
that raises the limit, in every input format and on every way in (file, inline text, service).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pm_agent.errors import InputError
from pm_agent.ingest import ReadOptions, load_incident, load_incident_text
from pm_agent.service import PostmortemService
from pm_agent.settings import Settings

LIMIT = 200
LONG = " ".join(["word"] * 60)  # 299 characters
EVENT = {"at": "2024-03-01T14:00:00Z", "source": "alert", "text": "checkout 502s"}


def too_long(place: str, length: int = len(LONG)) -> str:
    return f"input: {place} is {length:,} characters, over the limit of {LIMIT:,} per field (shorten it, or raise PM_AGENT_MAX_FIELD_CHARS)"


OVER_LONG = {
    "an event text": ({"title": "t", "events": [EVENT] * 12 + [{**EVENT, "text": LONG}]}, "events[12].text"),
    "an event actor": ({"title": "t", "events": [{**EVENT, "actor": LONG}]}, "events[0].actor"),
    "a title": ({"title": LONG, "events": [EVENT]}, "title"),
    "a service": ({"title": "t", "services": ["api", LONG], "events": [EVENT]}, "services[1]"),
    "the notes": ({"title": "t", "notes": LONG, "events": [EVENT]}, "notes"),
    "an impact quote": ({"title": "t", "impact": {"revenue": LONG}, "events": [EVENT]}, "impact.revenue"),
    "an undated event": (
        {"title": "t", "events": [EVENT, {"at": None, "text": LONG, "time_text": "14:??"}]},
        "events[1].text",
    ),
    "a Slack message": (
        [{"ts": "1709301900.000100", "text": "hi"}, {"ts": "1709301960.000200", "text": LONG}],
        "messages[1].text",
    ),
    "a PagerDuty title": (
        {
            "log_entries": [
                {
                    "type": "trigger_log_entry",
                    "created_at": "2024-03-01T14:00:00Z",
                    "incident": {"id": "P1", "summary": LONG},
                }
            ]
        },
        "title",
    ),
    "an alert summary": (
        {
            "receiver": "r",
            "alerts": [
                {"startsAt": "2024-03-01T14:00:00Z", "labels": {"alertname": "X"}, "annotations": {"summary": LONG}}
            ],
        },
        "alerts[0].text",
    ),
}


@pytest.mark.parametrize("case", sorted(OVER_LONG))
def test_an_over_long_field_of_any_json_format_is_refused_naming_its_place_and_length(case):
    document, place = OVER_LONG[case]
    with pytest.raises(InputError) as raised:
        load_incident_text(json.dumps(document), "input", ReadOptions(max_field_chars=LIMIT))
    length = len(LONG) + len("FIRING X: ") * (case == "an alert summary")  # the event text the parser built
    assert str(raised.value) == too_long(place, length)


def test_a_text_timeline_with_an_over_long_line_is_refused_naming_the_line():
    text = f"Date: 2024-03-01\n14:00 UTC checkout 502s\n\n{LONG} {LONG}\n"
    with pytest.raises(InputError) as raised:
        load_incident_text(text, "input", ReadOptions(max_field_chars=LIMIT))
    assert str(raised.value) == too_long("line 4", 2 * len(LONG) + 1)


def test_an_event_text_continued_over_short_lines_is_refused_when_the_whole_is_too_long():
    text = "Date: 2024-03-01\n14:00 UTC checkout 502s\n" + "\n".join(f"  {LONG[:100]}" for _ in range(3))
    with pytest.raises(InputError) as raised:
        load_incident_text(text, "input", ReadOptions(max_field_chars=LIMIT))
    assert str(raised.value).startswith("input: the event text at line 2 is ")
    assert str(raised.value).endswith(
        f"over the limit of {LIMIT:,} per field (shorten it, or raise PM_AGENT_MAX_FIELD_CHARS)"
    )


def test_a_field_exactly_at_the_limit_is_read():
    incident = load_incident_text(
        json.dumps({"title": "t", "events": [{**EVENT, "text": "x" * LIMIT}]}),
        "input",
        ReadOptions(max_field_chars=LIMIT),
    )
    assert [event.text for event in incident.events] == ["x" * LIMIT]


def test_the_service_reads_the_field_limit_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("PM_AGENT_MAX_FIELD_CHARS", str(LIMIT))
    service = PostmortemService(Settings())
    path = tmp_path / "input"
    path.write_text(json.dumps({"title": LONG, "events": [EVENT]}))
    for load in (lambda: service.load_text(path.read_text(), name="input"), lambda: service.load([path])):
        with pytest.raises(InputError) as raised:
            load()
        assert raised.value.detail == too_long("title").removeprefix("input: ")


def test_the_default_limit_admits_long_real_fields_and_refuses_twenty_thousand_and_one_characters():
    long_but_fine = load_incident_text(json.dumps({"title": "t", "events": [{**EVENT, "text": "x" * 20_000}]}))
    assert len(long_but_fine.events[0].text) == 20_000
    with pytest.raises(InputError, match=r"events\[0\]\.text is 20,001 characters, over the limit of 20,000"):
        load_incident_text(json.dumps({"title": "t", "events": [{**EVENT, "text": "x" * 20_001}]}))


def test_a_file_over_the_byte_limit_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"title": "t", "events": [EVENT] * 50}))
    size = path.stat().st_size
    over = f"{size:,} bytes, over the 100-byte limit (shorten or split it, or raise PM_AGENT_MAX_INPUT_BYTES)"
    with pytest.raises(InputError) as from_file:
        load_incident([path], ReadOptions(max_bytes=100))
    with pytest.raises(InputError) as inline:
        load_incident_text(path.read_text(), "inline", ReadOptions(max_bytes=100))
    assert (str(from_file.value), str(inline.value)) == (f"{path}: {over}", f"inline: {over}")


def test_undated_events_count_toward_the_event_limit():
    text = "Date: 2024-03-01\n14:00 UTC checkout 502s\n" + "\n".join(f"14:?? retry number {i}" for i in range(5))
    assert len(load_incident_text(text, max_events=6).undated_events) == 5
    with pytest.raises(InputError, match=r"^6 events, over the limit of 5 \(raise PM_AGENT_MAX_EVENTS\)$"):
        load_incident_text(text, max_events=5)


def test_a_device_or_a_pipe_is_refused_without_being_read(tmp_path):
    """/dev/zero never ends and a pipe without a writer never answers: reading either would hang the server."""
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    for path in [pipe, *(p for p in [Path("/dev/zero")] if p.exists())]:
        with pytest.raises(InputError) as raised:
            load_incident([path])
        assert str(raised.value) == f"{path}: is not a regular file (a device, pipe or socket); pass an incident file"
