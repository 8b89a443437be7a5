"""A fix that raises a limit implicates the limit: quoted as what the data shows, connected to the events at the
limit, followed by the Five Whys (what load, why the limit was where it was) and one open action to review it.
Never a cause stated as fact, and nothing at all where the data says the limit was not reached."""

from __future__ import annotations

import datetime as dt

from pm_agent.analysis.actions.proposed import propose_actions
from pm_agent.analysis.evidence import read_incident
from pm_agent.analysis.findings import read_findings
from pm_agent.analysis.limits import raised_limit
from pm_agent.analysis.narrative import summarise
from pm_agent.analysis.whys.chain import run_five_whys
from pm_agent.analysis.whys.steps import OPEN
from pm_agent.models import Incident, TimelineEvent


def at(hhmm: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"2024-09-03T{hhmm}:00+00:00")


def event(hhmm: str, source: str, text: str) -> TimelineEvent:
    return TimelineEvent(at=at(hhmm), source=source, text=text)


TITLE = "Search index freshness above 20 minutes"
SYNC = "Partner catalogue sync begun for the Acme account"
ALERT = "Alert: search index freshness above 20 minutes"
AT_LIMIT = "index-writer has 50 of 50 pool connections in use, writes waiting"
LOAD = "write rate is 6x the usual since the catalogue sync"
RAISE = "increased the index-writer pool size from 50 to 150 connections"


def pool_exhausted(*extra: TimelineEvent) -> Incident:
    """A partner sync sends six times the usual writes; the index writer's pool runs full; raising it ends it."""
    return Incident(
        id="idx-9",
        title=TITLE,
        services=["index-writer"],
        events=[
            event("10:00", "note", SYNC),
            event("10:40", "alert", ALERT),
            event("10:46", "chat", AT_LIMIT),
            event("10:52", "chat", LOAD),
            event("10:58", "chat", RAISE),
            event("11:20", "chat", "search index freshness back to normal"),
            *extra,
        ],
    )


IMPLICATED = (
    "The data's fix raised the index-writer pool size, so that limit is implicated as too low for the load at the "
    f"time: {RAISE[:1].upper() + RAISE[1:]} (chat, 2024-09-03 10:58 UTC)."
)


def test_a_fix_that_raises_a_limit_implicates_the_limit_as_too_low_for_the_load_at_the_time():
    findings = [(f.kind, f.statement) for f in read_findings(read_incident(pool_exhausted()))]

    assert ("limit", IMPLICATED) in findings


def test_the_events_at_the_limit_before_the_fix_are_connected_to_it_by_the_words_they_share():
    links = [f.statement for f in read_findings(read_incident(pool_exhausted())) if f.kind == "link"]

    assert (
        "The data connects the limit the fix raised with an earlier event at it, both naming index-writer, pool, "
        "connections: index-writer has 50 of 50 pool connections in use, writes waiting (chat, 2024-09-03 10:46 UTC), "
        f"then {RAISE[:1].upper() + RAISE[1:]} (chat, 2024-09-03 10:58 UTC)."
    ) in links


def test_the_five_whys_follow_the_raised_limit_to_the_stated_load_and_ask_why_the_limit_was_where_it_was():
    incident = pool_exhausted()
    trigger = run_five_whys(TITLE, incident).branches[0]

    assert [(s.why, s.because, s.question) for s in trigger.steps[:4]] == [
        (
            f'Why did "{TITLE}" happen?',
            "The data shows index-writer running at the index-writer pool size: index-writer has 50 of 50 pool "
            "connections in use, writes waiting (chat, 2024-09-03 10:46 UTC).",
            "",
        ),
        ("Why did index-writer stop at the index-writer pool size?", IMPLICATED, ""),
        (
            "Why was the index-writer pool size too low for the load at the time?",
            "The data states the load: Write rate is 6x the usual since the catalogue sync (chat, 2024-09-03 10:52 "
            f"UTC). The failure began after: {SYNC} (note, 2024-09-03 10:00 UTC); the data does not say that this "
            "caused it.",
            "",
        ),
        (
            "Why was the index-writer pool size where it was?",
            OPEN,
            "Who set the index-writer pool size where it was, against what expected load, and when was it last "
            "checked against the load it now takes? The data shows that raising it ended the failure, not why it "
            "was set there.",
        ),
    ]


def test_the_alert_that_only_restates_the_problem_heads_the_chain_and_why_1_asks_which_part_failed():
    incident = pool_exhausted().model_copy(
        update={"events": [e for e in pool_exhausted().events if e.text not in (AT_LIMIT, RAISE)]}
    )
    chain = run_five_whys(TITLE, incident)
    first = chain.branches[0].steps[0]

    assert (chain.first_signal.source, first.because, first.question) == (
        "alert",
        OPEN,
        f'Which part of the system failed, and how, to make "{TITLE}" happen? The data states no mechanism: the first '
        "sign is an alert, which shows the failure, not why.",
    )


def test_a_raised_limit_gets_one_open_action_in_its_own_words_to_review_it_against_the_stated_load():
    reading = read_incident(pool_exhausted())
    actions = [(a.title, a.done_when, a.status) for a in propose_actions(reading, TITLE, at("10:00").date())]

    assert (
        'Review the index-writer pool size against the load the data states ("write rate is 6x the usual since the '
        'catalogue sync") and alert when index-writer runs at that limit',
        "A load test at the load the data states stays under the index-writer pool size, and a drill that runs "
        'index-writer at that limit ("index-writer has 50 of 50 pool connections in use, writes waiting") fires the '
        "alert.",
        "open",
    ) in actions


def test_with_no_cause_stated_the_summary_quotes_the_raised_limit_and_what_the_failure_began_after():
    summary = summarise(read_incident(pool_exhausted()), [])

    assert (
        "The data does not state the cause, but its fix raised the index-writer pool size, so that limit is "
        "implicated as too low for the load at the time: "
        f"{RAISE[:1].upper() + RAISE[1:]} (chat, 2024-09-03 10:58 UTC). The failure began after: {SYNC} (note, "
        "2024-09-03 10:00 UTC); the data does not say that this caused it."
    ) in summary


def test_a_limit_the_data_says_was_never_reached_implicates_nothing():
    reading = read_incident(pool_exhausted(event("11:40", "chat", "index-writer pool never reached its limit")))

    assert raised_limit(reading) is None
    assert "limit" not in [f.kind for f in read_findings(reading)]
    assert [a.title for a in propose_actions(reading, TITLE, None) if a.title.startswith("Review")] == []


def test_raising_a_limit_the_response_itself_set_earlier_implicates_nothing():
    incident = Incident(
        id="gw-3",
        title="Login API shedding requests",
        events=[
            event("09:00", "alert", "Alert: login-api 5xx above 10%"),
            event("09:10", "chat", "rate limit on edge-proxy for /login set to 500 req/s to shed the retries"),
            event("09:30", "chat", "raised the edge-proxy limit to 900 req/s"),
        ],
    )

    assert raised_limit(read_incident(incident)) is None


def test_a_reading_that_grew_or_a_limit_raised_only_in_a_plan_is_no_raised_limit():
    incident = Incident(
        id="mem-2",
        title="Cache nodes evicting hot keys",
        events=[
            event("09:00", "alert", "Alert: cache eviction rate high"),
            event("09:05", "metric", "memory increased to 97% on cache-3"),
            event("09:08", "metric", "queue size increased to 40,000 messages, increasing memory pressure on cache-3"),
            event("09:20", "chat", "we will raise the memory limit of cache-3 next sprint"),
            event("09:30", "chat", "restarted cache-3, evictions back to normal"),
        ],
    )

    assert raised_limit(read_incident(incident)) is None


def test_the_limit_a_step_raised_is_named_in_the_steps_own_words_whatever_the_verb_or_resource():
    steps = {
        "bumped ulimit -n to 1048576 on the relay nodes": "the ulimit -n",
        "Increased memory for the thumbnailer to 4 GB": "the memory for the thumbnailer",
        "scaled up the checkout pods from 4 to 12": "the capacity of the checkout pods",
        "orders-db max_connections raised from 100 to 500": "the orders-db max_connections",
        "doubled the ingest quota of the tenant-a bucket": "the ingest quota of the tenant-a bucket",
        "raised the memory limit for billing-api to 4 GiB": "the memory limit for billing-api",
        "we increased the number of workers to 20": "the number of workers",
        "nofile limit on chat-relay raised to 65536": "the nofile limit on chat-relay",
    }
    named = {}
    for text in steps:
        incident = Incident(
            id="lim",
            title="Relay rejecting work",
            events=[event("09:00", "alert", "Alert: relay rejecting work"), event("09:20", "chat", text)],
        )
        raised = raised_limit(read_incident(incident))
        named[text] = raised.limit if raised else None

    assert named == steps


def test_without_a_stated_load_the_whys_ask_what_load_brought_the_component_to_the_limit():
    incident = Incident(
        id="th-1",
        title="Thumbnail API slow",
        services=["thumbnail-api"],
        events=[
            event("02:00", "note", "Nightly reindex of the media library started"),
            event("02:20", "alert", "Alert: thumbnail-api p99 above 2 s"),
            event("02:25", "chat", "thumbnail-api db pool is maxed out, 30 of 30 connections busy"),
            event("02:31", "chat", "bumped the thumbnail-api db pool size to 90"),
        ],
    )
    load_step = run_five_whys("Thumbnail API slow", incident).branches[0].steps[2]

    assert (load_step.why, load_step.because, load_step.question) == (
        "Why was the thumbnail-api db pool size too low for the load at the time?",
        OPEN,
        "What load brought thumbnail-api to the thumbnail-api db pool size? The data shows that raising it ended the "
        "failure, not the load that reached it. The failure began after: Nightly reindex of the media library started "
        "(note, 2024-09-03 02:00 UTC); the data does not say that this caused it.",
    )


def test_a_long_timeline_of_raises_the_data_says_were_never_needed_is_read_in_linear_time():
    """Each raise is checked against what the data says of its limit: read once, not once per raise (10,000 raises
    against 10,000 events each would take minutes)."""
    size = 10_000
    start = at("00:00")
    events = [TimelineEvent(at=start, source="alert", text="Alert: shard writes rejected")]
    events += [
        TimelineEvent(
            at=start + dt.timedelta(seconds=n + 1), source="chat", text=f"raised the write quota of shard-{n} to 900"
        )
        for n in range(size)
    ]
    events.append(
        TimelineEvent(
            at=start + dt.timedelta(days=1), source="chat", text="the shard write quota never reached its limit"
        )
    )
    incident = Incident(id="big", title="Shard writes rejected", events=events)

    assert raised_limit(read_incident(incident)) is None


def test_a_limit_raised_in_the_passive_is_the_step_that_stopped_the_impact():
    incident = Incident(
        id="bill-1",
        title="Billing API restarting",
        events=[
            event("09:00", "alert", "Alert: billing-api pods OOMKilled"),
            event("09:10", "chat", "memory limit of billing-api raised to 4 GiB"),
            event("09:30", "chat", "billing-api stable again"),
        ],
    )

    assert "It was stopped by: Memory limit of billing-api raised to 4 GiB (chat, 2024-09-03 09:10 UTC)." in summarise(
        read_incident(incident), []
    )


def test_the_whys_ask_what_would_have_alerted_at_the_limit_and_who_owns_it_when_nothing_else_is_known():
    trigger = run_five_whys(TITLE, pool_exhausted()).branches[0]

    assert [(s.why, s.question) for s in trigger.steps[4:]] == [
        (
            f'Why was "{TITLE}" not caught earlier?',
            'What would have alerted when index-writer ran at the index-writer pool size ("index-writer has 50 of 50 '
            f'pool connections in use, writes waiting"), before "{TITLE}" showed?',
        )
    ]
    assert (trigger.root_cause, trigger.root_cause_question) == (
        "",
        "Who owns the index-writer pool size, and what reviews it against the load to come (a launch, a campaign, a "
        "peak) before it comes?",
    )


def test_an_event_at_the_raised_limit_is_explained_by_it_and_gets_no_action_of_its_own():
    """The event that shows the system at the limit is what the review of the limit is about: a second action that
    calls it "a finding the data leaves unexplained" would say the data explains nothing, twice."""
    busy = "index queue is 30 minutes behind, index-writer at 50 connections, all busy"
    incident = pool_exhausted()
    incident.events[2] = event("10:46", "chat", busy)
    reading = read_incident(incident)
    raised = raised_limit(reading)
    assert raised is not None and [t.text for t in raised.at_limit] == [busy]

    open_actions = [a for a in propose_actions(reading, TITLE, at("10:00").date()) if a.status == "open"]

    assert [a.title for a in open_actions] == [
        'Review the index-writer pool size against the load the data states ("write rate is 6x the usual since the '
        'catalogue sync") and alert when index-writer runs at that limit',
    ]
