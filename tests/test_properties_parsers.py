"""Property tests over every ingest format: any input gives an incident or one clear error line.

For each format (pm-agent incident JSON, Slack export, PagerDuty log entries, Alertmanager webhook,
text/Markdown timelines and tables) hypothesis builds documents of the right shape filled with odd
values (unicode, nulls, huge numbers, odd timestamps, nested junk, missing and extra keys), plus
arbitrary text and bytes. Reading one either returns an :class:`Incident` or raises a
:class:`PmAgentError` whose message is one readable line; on success the timeline is sorted,
every time is UTC and came from the input, and reading the same file twice changes nothing.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from incident_strategies import FORMATS, dumps, incident_documents, junk, timelines

from pm_agent.errors import PmAgentError
from pm_agent.ingest import ReadOptions, load_incident_text
from pm_agent.ingest.loader import read_bytes
from pm_agent.ingest.merge import merge_files
from pm_agent.ingest.timeparse import UTC
from pm_agent.models import Incident

MAX_MESSAGE = 600  # an error is one line a person reads, not a dump of the input
FIELD_LIMIT = 5_000  # below some generated fields, above others
OPTIONS = ReadOptions(default_date=dt.date(2024, 3, 1), max_field_chars=FIELD_LIMIT)
MANY = settings(max_examples=settings.default.max_examples)  # the profile's count (conftest.py)
FEW = settings(max_examples=max(10, settings.default.max_examples // 2))


# --- the properties --------------------------------------------------------------------------------
def read(text: str) -> Incident | PmAgentError:
    """The incident, or the user-facing error; any other exception fails the test as it is."""
    try:
        return load_incident_text(text, "input.json", OPTIONS)
    except PmAgentError as exc:
        return exc


def assert_clear(outcome: Incident | PmAgentError) -> None:
    """A user-facing error is one non-empty line of reasonable length; an incident is well formed."""
    if isinstance(outcome, PmAgentError):
        message = str(outcome)
        assert message.strip() and "\n" not in message and "\r" not in message, message
        assert len(message) <= MAX_MESSAGE, message[:200]
        return
    assert_well_formed(outcome)


def assert_well_formed(incident: Incident) -> None:
    times = [event.at for event in incident.events]
    assert incident.events and times == sorted(times)
    assert all(moment.utcoffset() == dt.timedelta(0) for moment in times)
    assert all(event.text.strip() and event.refs for event in incident.events)
    assert incident.id.strip() and incident.title.strip()
    texts = [incident.id, incident.title, *(e.text for e in incident.events), *(e.actor or "" for e in incident.events)]
    assert max(map(len, texts)) <= FIELD_LIMIT
    if incident.started_at and incident.resolved_at:
        assert incident.started_at <= incident.resolved_at


@pytest.mark.parametrize("name", sorted(FORMATS))
@MANY
@given(data=st.data())
def test_any_json_document_of_a_known_shape_reads_or_fails_with_one_clear_line(name, data):
    assert_clear(read(dumps(data.draw(FORMATS[name], label=name))))


@MANY
@given(timelines)
def test_any_text_or_markdown_timeline_reads_or_fails_with_one_clear_line(text):
    assert_clear(read(text))


@MANY
@given(st.one_of(junk.map(dumps), st.text(max_size=200), st.text('[]{}":,0123456789 -:TZ\n', max_size=80)))
def test_arbitrary_json_and_text_read_or_fail_with_one_clear_line(text):
    assert_clear(read(text))


@FEW
@given(st.binary(max_size=200))
def test_arbitrary_bytes_read_or_fail_with_one_clear_line(raw):
    try:
        outcome: Incident | PmAgentError = merge_files([("input", read_bytes(raw, "input", OPTIONS))], max_events=1000)
    except PmAgentError as exc:
        outcome = exc
    assert_clear(outcome)


# --- on success ------------------------------------------------------------------------------------
zoned_moments = st.builds(
    lambda m, h: m.replace(tzinfo=dt.timezone(dt.timedelta(hours=h))),
    st.datetimes(min_value=dt.datetime(1991, 1, 1), max_value=dt.datetime(2099, 1, 1)),
    st.integers(-12, 14),
)
event_texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=40).filter(
    str.strip
)


@MANY
@given(
    st.lists(
        st.tuples(zoned_moments, st.sampled_from(["alert", "chat", "deploy", "page", "note", "metric"]), event_texts),
        min_size=1,
        max_size=8,
    )
)
def test_every_event_of_an_incident_json_is_placed_at_a_time_the_input_gave(events):
    doc = {
        "title": "t",
        "events": [{"at": at.isoformat(), "source": source, "text": text} for at, source, text in events],
    }
    incident = load_incident_text(dumps(doc))
    given_times = {at.astimezone(UTC) for at, _, _ in events}
    assert_well_formed(incident)
    assert {event.at for event in incident.events} <= given_times
    assert {event.text for event in incident.events} <= {text.strip() for _, _, text in events}


@MANY
@given(
    st.lists(
        st.tuples(
            st.datetimes(min_value=dt.datetime(2024, 3, 1), max_value=dt.datetime(2024, 3, 3)),
            event_texts.map(lambda t: " ".join(t.split())).filter(bool),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_every_event_of_a_dated_text_timeline_is_placed_at_a_time_the_input_gave(lines):
    text = "\n".join(f"- {at:%Y-%m-%d %H:%M} UTC {line}" for at, line in lines)
    outcome = read(text)
    assert_clear(outcome)
    if isinstance(outcome, Incident):
        assert {event.at for event in outcome.events} <= {
            at.replace(second=0, microsecond=0, tzinfo=UTC) for at, _ in lines
        }


@FEW
@given(incident_documents)
def test_reading_the_same_file_twice_gives_the_same_incident(text):
    try:
        once = merge_files([("input", read_bytes(text.encode(), "input", OPTIONS))], max_events=1000)
    except PmAgentError:
        return
    first, second = (read_bytes(text.encode(), "input", OPTIONS) for _ in range(2))
    twice = merge_files([("input", first), ("input", second)], max_events=1000)
    assert twice.model_dump(exclude={"sources"}) == once.model_dump(exclude={"sources"})


FOUND = {  # counterexamples the properties found, kept so that each stays fixed
    "slack subtype is a list": [{"ts": 0, "text": None, "subtype": []}],
    "alert fingerprint is a list": {
        "alerts": [{"startsAt": "2024-03-02T18:10:16Z", "labels": None, "fingerprint": [None]}],
        "receiver": None,
    },
    "impact value not a number": {
        "title": "t",
        "events": [{"at": "2024-03-01T14:00:00Z", "text": "x"}],
        "impact": {"users_affected": {"value": "abc"}},
    },
    "impact figure kind": {
        "title": "t",
        "events": [{"at": "2024-03-01T14:00:00Z", "text": "x"}],
        "impact": {"revenue": {"kind": "zzz", "quote": 5}},
    },
    "impact infinite": {
        "title": "t",
        "events": [{"at": "2024-03-01T14:00:00Z", "text": "x"}],
        "impact": {"revenue": 1e400},
    },
    "huge timestamp": {"title": "t", "events": [{"at": "x" * 100_000, "text": "x"}]},
}


@pytest.mark.parametrize("name", sorted(FOUND))
def test_each_counterexample_found_so_far_reads_or_fails_with_one_clear_line(name):
    assert_clear(read(dumps(FOUND[name])))
