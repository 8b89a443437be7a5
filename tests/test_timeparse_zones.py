"""Named time zones written beside a time: abbreviations (CET, CEST, PST...) and IANA names (Europe/Berlin).

A zone name counts only right after a time; elsewhere it is text, and a word that merely starts like one
(Established, ESTIMATE) or a lower-case word (est) is never read as a zone."""

from __future__ import annotations

import datetime as dt

import pytest

from pm_agent.errors import InputError
from pm_agent.ingest.timeparse import TimestampError, parse_timestamp
from pm_agent.service import PostmortemService

UTC = dt.UTC


def event_times(timeline: str) -> list[str]:
    incident = PostmortemService().load_text("Date: 2024-03-01\n" + timeline, name="timeline.md")
    return [event.at.astimezone(UTC).strftime("%H:%M") + " " + event.text for event in incident.events]


@pytest.mark.parametrize(
    ("written", "utc"),
    [
        ("2024-03-01 14:05 CET", "2024-03-01 13:05"),
        ("2024-07-01 14:05 CEST", "2024-07-01 12:05"),
        ("2024-03-01 14:05 PST", "2024-03-01 22:05"),
        ("2024-07-01 14:05 PDT", "2024-07-01 21:05"),
        ("2024-03-01 14:05 EST", "2024-03-01 19:05"),
        ("2024-03-01 14:05 UTC", "2024-03-01 14:05"),
        ("2024-03-01T14:05 Europe/Berlin", "2024-03-01 13:05"),
        ("2024-07-01 14:05 Europe/Berlin", "2024-07-01 12:05"),
        ("2024-07-01 14:05 America/New_York", "2024-07-01 18:05"),
    ],
)
def test_a_named_zone_after_a_time_sets_its_offset(written, utc):
    assert parse_timestamp(written).astimezone(UTC).strftime("%Y-%m-%d %H:%M") == utc


def test_timeline_lines_with_a_zone_abbreviation_are_read_in_that_zone():
    assert event_times("14:05 CET - checkout alert fired\n14:20 CET - rolled back\n") == [
        "13:05 checkout alert fired",
        "13:20 rolled back",
    ]


def test_an_abbreviation_away_from_the_time_is_text_not_a_zone():
    assert event_times("14:05 UTC - CET cluster restarted by the EST team\n") == [
        "14:05 CET cluster restarted by the EST team"
    ]


@pytest.mark.parametrize("text", ["Established connection to the primary", "ESTIMATE was wrong", "est. 40 users"])
def test_a_word_that_starts_like_a_zone_stays_in_the_text(text):
    assert event_times(f"14:05 {text}\n") == [f"14:05 {text}"]


def test_an_unknown_region_name_after_a_time_is_refused_with_the_line():
    with pytest.raises(InputError) as error:
        event_times("14:05 Europe/Atlantis - paged\n")

    assert str(error.value) == (
        "timeline.md: line 2: unknown time zone 'Europe/Atlantis'; use UTC, an offset like +02:00 or a name like "
        "Europe/Oslo"
    )


def test_a_file_mixing_named_zones_and_bare_times_is_still_refused():
    with pytest.raises(InputError, match="mixed time zones without offsets"):
        event_times("14:05 CET - alert fired\n14:20 - rolled back\n")


def test_a_path_like_word_after_a_time_is_text():
    assert event_times("14:05 UTC - api/gateway restarted\n") == ["14:05 api/gateway restarted"]


def test_parse_timestamp_refuses_an_unknown_region():
    with pytest.raises(TimestampError, match="unknown time zone 'Asia/Nowhere'"):
        parse_timestamp("2024-03-01 14:05 Asia/Nowhere")


def test_a_table_headed_with_a_zone_abbreviation_reads_its_times_there():
    incident = PostmortemService().load_text(
        "Date: 2024-03-01\n| Time (PST) | Event |\n|---|---|\n| 14:05 | paged |\n", name="timeline.md"
    )

    assert [event.at.astimezone(UTC).strftime("%H:%M") for event in incident.events] == ["22:05"]
