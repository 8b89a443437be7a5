"""Hypothesis strategies for incident inputs in every format, shared by the property tests.

Documents are mostly well formed (so parsing gets deep) with odd values mixed in: unicode,
nulls, huge numbers, odd timestamps, long fields, junk, missing and extra keys.
"""

from __future__ import annotations

import datetime as dt
import json

from hypothesis import strategies as st

# --- values --------------------------------------------------------------------------------------
words = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)
plain_words = st.text("abcdefghijklmnopqrstuvwxyz0123456789 -_.:/#@<>|*`~[]()&;", max_size=40)
long_texts = st.builds(
    lambda piece, n: piece * n, st.sampled_from(["x", "9", " ", "é", "a\n", "14:05 "]), st.integers(300, 30_000)
)
some_text = st.one_of(
    words, plain_words, st.sampled_from(["", " ", "\n", "\t\n", "null", "FIRING", "RESOLVED"]), long_texts
)
huge_numbers = st.sampled_from([10**30, -(10**30), 2**63, 1e308, -1e308, float("inf"), float("-inf"), float("nan")])
numbers = st.one_of(st.integers(), st.floats(), huge_numbers)
scalars = st.one_of(st.none(), st.booleans(), numbers, some_text)
containers = st.one_of(
    st.lists(scalars, min_size=1, max_size=2), st.dictionaries(words, scalars, min_size=1, max_size=2)
)
junk = st.one_of(
    containers,
    st.recursive(
        scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(words, inner, max_size=3), max_leaves=6
    ),
)

zones = st.sampled_from(["Z", "+00:00", "+02:00", "-05:30", "+14:00", "+15:00", "-0800", " UTC", "GMT", ""])
moments = st.datetimes(min_value=dt.datetime(1985, 1, 1), max_value=dt.datetime(2105, 12, 31))
good_times = st.builds(
    lambda m: m.isoformat(timespec="seconds") + "Z",
    st.datetimes(min_value=dt.datetime(2024, 3, 1), max_value=dt.datetime(2024, 3, 3)),
)
iso_times = st.builds(
    lambda m, z, sep: m.isoformat(sep=sep, timespec="seconds") + z, moments, zones, st.sampled_from("T ")
)
odd_times = st.sampled_from(
    [
        "2024-02-30T10:00:00Z",
        "2024-03-01T25:61:00Z",
        "0000-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
        "14:05",
        "14:05 UTC",
        "2024-03-01",
        "1709301900",
        "1709301900.5",
        "yesterday",
        "2024-03-01T14:05:00+99:99",
        "0001-01-01T00:00:00Z",
        "",
        "   ",
    ]
)
timestamps = st.one_of(
    good_times, good_times, good_times, iso_times, odd_times, numbers, st.none(), st.booleans(), words, long_texts, junk
)


def maybe(strategy):
    """Mostly the key is there with a value of the right kind, else null, a list, an object or junk."""
    return st.one_of(strategy, strategy, st.none(), containers, junk)


def document(required: dict, optional: dict):
    """A JSON object with the required keys, any of the optional ones, and maybe an extra junk key."""
    extra = st.dictionaries(words, junk, max_size=2)
    return st.builds(
        lambda base, more, rest: {**rest, **more, **base},
        st.fixed_dictionaries(required, optional=optional),
        st.just({}),
        extra,
    )


# --- documents in each format ---------------------------------------------------------------------
# Each item is mostly well formed (so that parsing gets deep), with odd values, junk and missing keys mixed in.
good_text = st.text("abcdefghijklmnopqrstuvwxyz ABCDEFGHIJ0123456789.,:-", min_size=1, max_size=40).filter(str.strip)


def mix(good, hostile):
    """Three parts good to one part hostile."""
    return st.one_of(good, good, good, hostile)


figures = document({"value": scalars}, {"unit": maybe(words), "quote": maybe(words), "kind": maybe(words), "ref": junk})
event_sources = st.sampled_from(["alert", "chat", "deploy", "page", "note", "metric", "slack", "bogus"])
native_events = mix(
    document({"at": good_times, "text": good_text}, {"source": event_sources, "actor": good_text}),
    document(
        {"at": timestamps, "text": some_text},
        {"source": maybe(event_sources), "actor": maybe(words), "time_text": maybe(words), "message": maybe(words)},
    ),
)
native = mix(
    document(
        {
            "title": good_text,
            "events": st.lists(native_events, min_size=1, max_size=4),
            "impact": st.dictionaries(
                st.sampled_from(["users_affected", "revenue", "duration", "x"]),
                st.one_of(scalars, figures, figures),
                min_size=1,
                max_size=2,
            ),
        },
        {
            "started_at": good_times,
            "resolved_at": good_times,
            "services": st.lists(good_text, max_size=2),
            "notes": good_text,
        },
    ),
    document(
        {"events": mix(st.lists(native_events, max_size=4), junk)},
        {
            "title": maybe(words),
            "id": maybe(words),
            "severity": maybe(words),
            "services": st.one_of(st.lists(scalars, max_size=3), words, junk),
            "started_at": mix(good_times, timestamps),
            "detected_at": timestamps,
            "resolved_at": mix(good_times, timestamps),
            "mitigated_at": timestamps,
            "impact": mix(
                st.dictionaries(
                    st.sampled_from(["users_affected", "revenue", "duration", "error_rate", "x"]),
                    st.one_of(scalars, figures, junk),
                    max_size=3,
                ),
                junk,
            ),
            "notes": maybe(st.one_of(words, st.lists(scalars, max_size=3))),
        },
    ),
)
slack_messages = mix(
    document({"ts": good_times, "text": good_text}, {"user": good_text, "bot_id": good_text, "username": good_text}),
    document(
        {"ts": timestamps, "text": maybe(some_text)},
        {
            "user": maybe(words),
            "subtype": maybe(st.sampled_from(["bot_message", "channel_join", "thread_broadcast"])),
            "bot_id": maybe(words),
            "username": maybe(words),
            "user_profile": maybe(st.dictionaries(words, scalars, max_size=2)),
            "attachments": st.one_of(
                st.lists(
                    st.dictionaries(st.sampled_from(["title", "text", "fallback", "pretext"]), scalars), max_size=2
                ),
                junk,
            ),
        },
    ),
)
slack = st.one_of(
    st.lists(slack_messages, min_size=1, max_size=4),
    document(
        {"messages": st.lists(st.one_of(slack_messages, junk), max_size=4)},
        {
            "users": st.one_of(
                st.lists(st.dictionaries(st.sampled_from(["id", "name", "real_name", "profile"]), junk)), junk
            )
        },
    ),
)
references = maybe(document({"summary": maybe(words)}, {"id": maybe(words), "type": maybe(words)}))
entry_types = st.sampled_from(
    [
        f"{kind}_log_entry"
        for kind in ("trigger", "acknowledge", "resolve", "annotate", "notify", "escalate", "assign", "odd")
    ]
)
pagerduty_entries = mix(
    document({"type": entry_types, "created_at": good_times}, {"agent": st.fixed_dictionaries({"summary": good_text})}),
    document(
        {
            "type": st.one_of(entry_types, st.sampled_from(["trigger_log_entry_reference", ""]), junk),
            "created_at": timestamps,
        },
        {
            "agent": references,
            "incident": references,
            "service": references,
            "user": references,
            "summary": maybe(words),
            "channel": maybe(st.dictionaries(st.sampled_from(["type", "summary"]), scalars)),
            "note": maybe(words),
            "assignees": st.one_of(st.lists(references, max_size=2), junk),
        },
    ),
)
pagerduty = st.one_of(
    document({"log_entries": st.lists(pagerduty_entries, max_size=4)}, {"limit": junk}),
    st.lists(pagerduty_entries, min_size=1, max_size=4),
)
labels = st.dictionaries(
    st.sampled_from(["alertname", "severity", "service", "app", "job", "instance"]) | words, scalars, max_size=4
)
alerts = mix(
    document(
        {"startsAt": good_times, "labels": st.fixed_dictionaries({"alertname": good_text})},
        {"status": st.just("resolved"), "endsAt": good_times},
    ),
    document(
        {"startsAt": timestamps, "labels": maybe(labels)},
        {
            "status": maybe(st.sampled_from(["firing", "resolved", "RESOLVED"])),
            "endsAt": st.one_of(timestamps, st.just("0001-01-01T00:00:00Z")),
            "annotations": maybe(st.dictionaries(st.sampled_from(["summary", "description", "message"]), scalars)),
            "fingerprint": maybe(words),
        },
    ),
)
webhook = mix(
    document(
        {"alerts": st.lists(alerts, min_size=1, max_size=4), "receiver": good_text}, {"status": st.just("resolved")}
    ),
    document(
        {"alerts": st.lists(st.one_of(alerts, junk), max_size=5), "receiver": maybe(words)},
        {"status": maybe(st.sampled_from(["firing", "resolved"])), "version": maybe(words), "commonLabels": junk},
    ),
)
alertmanager = st.one_of(webhook, st.lists(webhook, min_size=1, max_size=3))

bullets = st.sampled_from(["", "- ", "* ", "1. ", "## ", "**", "[deploy] ", "> "])
line_times = st.one_of(
    st.builds(lambda m, z: m.strftime("%H:%M") + z, moments, zones),
    st.builds(lambda m, z: m.isoformat(sep=" ", timespec="minutes") + z, moments, zones),
    st.sampled_from(["14:?? ", "~14:10 ", "2:05 PM", "25:00", "14:05 UTC+2", "00:00", "23:59:59.123456789"]),
)
separators = st.sampled_from(["", " ", " - ", " — ", ": ", " | ", " -> "])
event_lines = st.builds(lambda b, t, s, x: f"{b}{t}{s}{x}", bullets, line_times, separators, some_text)
other_lines = st.one_of(
    st.builds(
        lambda k, v: f"{k}: {v}",
        st.sampled_from(["Title", "Severity", "Services", "Date", "Timezone", "ID", "TZ"]),
        st.one_of(words, st.sampled_from(["2024-03-01", "2024-02-30", "Europe/Oslo", "Mars/Base", "+02:00"])),
    ),
    st.builds(lambda h, t: f"{h} {t}", st.sampled_from(["#", "##", "###"]), some_text),
    st.sampled_from(["", "   continued detail", "All times in UTC", "All times in CET", "2024-03-01", "| a | b |"]),
    some_text,
)
table_rows = st.builds(lambda t, x, s: f"| {t} | {x} | {s} |", st.one_of(line_times, some_text), some_text, some_text)
tables = st.builds(
    lambda head, rows: "\n".join([head, "|---|---|---|", *rows]),
    st.sampled_from(
        ["| Time (UTC) | Event | Source |", "| When | What | Who |", "| time | text | kind |", "| a | b | c |"]
    ),
    st.lists(table_rows, max_size=5),
)
timelines = st.builds("\n".join, st.lists(st.one_of(event_lines, other_lines, tables), min_size=1, max_size=12))

FORMATS = {"native": native, "slack": slack, "pagerduty": pagerduty, "alertmanager": alertmanager}


def dumps(data) -> str:
    """JSON as a client would send it (NaN and Infinity included)."""
    return json.dumps(data, allow_nan=True, ensure_ascii=False)


incident_documents = st.sampled_from(sorted(FORMATS)).flatmap(lambda name: FORMATS[name]).map(dumps) | timelines

# Incidents that read: a title and well-formed events with realistic words, so the tools get past ingest.
incident_words = st.lists(
    st.sampled_from(
        [
            "checkout",
            "payments",
            "api",
            "db-prod-3",
            "502s",
            "latency",
            "p99",
            "2.5s",
            "deploy",
            "v2.3.1",
            "rolled",
            "back",
            "alert",
            "fired",
            "paged",
            "on-call",
            "acknowledged",
            "connection",
            "pool",
            "exhausted",
            "config",
            "change",
            "cache",
            "dns",
            "timeout",
            "restarted",
            "mitigated",
            "resolved",
            "errors",
            "40%",
            "users",
            "Dave",
            "should",
            "have",
            "checked",
        ]
    ),
    min_size=1,
    max_size=12,
).map(" ".join)
good_events = st.fixed_dictionaries(
    {
        "at": good_times,
        "source": st.sampled_from(["alert", "chat", "deploy", "page", "note", "metric"]),
        "text": incident_words,
    },
    optional={"actor": st.sampled_from(["Dave", "Dana Ortiz", "deploy-bot"])},
)
good_incidents = st.fixed_dictionaries(
    {"title": incident_words, "events": st.lists(good_events, min_size=1, max_size=8)},
    optional={
        "severity": st.sampled_from(["SEV1", "SEV2"]),
        "services": st.lists(st.sampled_from(["checkout", "payments"])),
        "impact": st.fixed_dictionaries({}, optional={"users_affected": st.integers(0, 10**6)}),
    },
).map(dumps)
