"""The Slack, PagerDuty, Alertmanager and text/Markdown parsers read their formats as written."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from pm_agent.errors import InputError
from pm_agent.ingest import alertmanager, pagerduty, slack, text
from pm_agent.ingest.base import RawUndated

FIXTURES = Path(__file__).parent / "fixtures" / "inputs"
UTC = dt.UTC
PARSERS = {
    "slack": slack.PARSER,
    "pagerduty": pagerduty.PARSER,
    "alertmanager": alertmanager.PARSER,
    "text": text.PARSER,
}
FIXTURE_FILES = sorted(p.relative_to(FIXTURES).as_posix() for p in FIXTURES.glob("*/*") if p.parent.name in PARSERS)


def load(name: str):
    raw = (FIXTURES / name).read_text(encoding="utf-8")
    return raw if name.startswith("text/") else json.loads(raw)


def parse(fmt: str, data, *, default_date: dt.date | None = None, source: str = "input"):
    return PARSERS[fmt].parse(data, source, default_date=default_date)


def rows(parsed) -> list[tuple]:
    return [(e.at, e.source, e.text, e.actor, e.locator) for e in parsed.events]


def at(
    hour: int, minute: int, second: int = 0, micro: int = 0, *, day: int = 1, tz: dt.tzinfo | None = UTC
) -> dt.datetime:
    return dt.datetime(2024, 3, day, hour, minute, second, micro, tzinfo=tz)


def error_of(fmt: str, data, **kwargs) -> InputError:
    with pytest.raises(InputError) as caught:
        parse(fmt, data, source="bad-input", **kwargs)
    assert caught.value.source == "bad-input"
    return caught.value


# --- every format -------------------------------------------------------------------------


@pytest.mark.parametrize("name", FIXTURE_FILES)
def test_each_parser_recognises_its_own_fixtures_and_no_other_parser_does(name):
    fmt = name.split("/")[0]
    assert {n: p.sniff(load(name)) for n, p in PARSERS.items()} == {n: n == fmt for n in PARSERS}


@pytest.mark.parametrize(
    ("fmt", "empty"),
    [
        ("slack", []),
        ("slack", {"messages": []}),
        ("pagerduty", {"log_entries": []}),
        ("alertmanager", []),
        ("text", ""),
    ],
)
def test_an_empty_input_gives_a_parsed_file_with_no_events(fmt, empty):
    parsed = parse(fmt, empty)
    assert (parsed.format, parsed.events, parsed.undated, parsed.times) == (fmt, [], [], {})


def test_a_bare_empty_list_is_no_format_of_its_own():
    assert [p.sniff([]) for p in PARSERS.values()] == [False, False, False, False]


@pytest.mark.parametrize(
    ("fmt", "data", "place"),
    [
        ("slack", [{"ts": "1709301900.000200", "text": "ok"}, "not a message"], "messages[1]"),
        ("slack", [{"ts": "1709301900.000200", "text": "ok"}, {"text": "no time"}], "messages[1] has no 'ts'"),
        ("slack", [{"ts": "yesterday", "text": "hm"}], "messages[0]: unreadable timestamp"),
        (
            "pagerduty",
            {"log_entries": [{"type": "trigger_log_entry", "created_at": "2024-03-01T14:03:12Z"}, {}]},
            "log_entries[1] has no 'type'",
        ),
        ("pagerduty", {"log_entries": [{"type": "resolve_log_entry"}]}, "log_entries[0] has no 'created_at'"),
        (
            "alertmanager",
            [{"version": "4", "alerts": [{"startsAt": "2024-03-01T14:00:00Z"}, {"labels": {}}]}],
            "[0].alerts[1] has no 'startsAt'",
        ),
        (
            "alertmanager",
            {"version": "4", "alerts": [{"startsAt": "2024-02-30T14:00:00Z"}]},
            "alerts[0]: impossible timestamp",
        ),
        ("text", "Date: 2024-03-01\n25:61 - the clock broke", "line 2: impossible timestamp '25:61'"),
        ("text", "\n2024-02-30 14:00 - a day that never was", "line 2: impossible timestamp"),
    ],
)
def test_a_malformed_entry_is_an_input_error_naming_the_file_and_the_place(fmt, data, place):
    assert place in str(error_of(fmt, data))


@pytest.mark.parametrize(
    ("fmt", "data"),
    [
        ("slack", [{"ts": "2024-03-01T14:03:12", "text": "naive"}]),
        ("pagerduty", {"log_entries": [{"type": "trigger_log_entry", "created_at": "2024-03-01T14:03:12"}]}),
        (
            "alertmanager",
            {"version": "4", "alerts": [{"startsAt": "2024-03-01T14:03:12", "labels": {"alertname": "X"}}]},
        ),
        ("text", "2024-03-01 14:03:12 naive"),
    ],
)
def test_a_timestamp_without_an_offset_stays_naive(fmt, data):
    assert [event.at for event in parse(fmt, data).events] == [dt.datetime(2024, 3, 1, 14, 3, 12)]


# --- Slack --------------------------------------------------------------------------------


def test_slack_export_turns_people_into_chat_and_bots_into_alerts_and_deploys_with_readable_text():
    parsed = parse("slack", load("slack/checkout-latency-2024-03-01.json"))
    assert rows(parsed) == [
        (
            at(13, 45, 2, 300),
            "deploy",
            "checkout-service v2.14.0 deployed to prod-eu-1 by @Priya Raman (pipeline #88213)",
            "deploy-bot",
            "messages[0]",
        ),
        (
            at(13, 58, 34, 300),
            "alert",
            "[FIRING:1] CheckoutLatencyHigh (severity=critical, service=checkout-service) — Checkout p99 latency above 2s",
            "Alertmanager",
            "messages[1]",
        ),
        (
            at(14, 1, 15, 100),
            "chat",
            "anyone looking at this? checkout p99 is > 2s on the dashboard",
            "Tom Becker",
            "messages[2]",
        ),
        (
            at(14, 4, 40, 100),
            "chat",
            "ack'd in PD, looking now. p99 jumped at 13:58, right after the 13:45 deploy @Priya Raman",
            "Ana Souza",
            "messages[3]",
        ),
        (
            at(14, 6, 2, 100),
            "chat",
            "I'm IC. Declaring SEV2. Updates in #inc-4821-checkout, status page & support looped in",
            "Lee Chen",
            "messages[5]",
        ),
        (
            at(14, 7, 38, 300),
            "alert",
            "[FIRING:1] CheckoutErrorRateHigh (severity=warning, service=checkout-service) — Checkout 5xx ratio above 2% for 5m",
            "Alertmanager",
            "messages[6]",
        ),
        (
            at(14, 9, 5, 400),
            "chat",
            "v2.14.0 lowered the DB pool to 20 conns per pod (was 50). pool wait time: checkout-db dashboard. I think we're starving the pool",
            "Priya Raman",
            "messages[7]",
        ),
        (
            at(14, 9, 40, 100),
            "chat",
            "ok, let's roll back to v2.13.2. @Priya Raman can you drive?",
            "Lee Chen",
            "messages[8]",
        ),
        (at(14, 10, 2, 100), "chat", "on it", "Priya Raman", "messages[9]"),
        (
            at(14, 11, 20, 300),
            "deploy",
            "Rollback of checkout-service to v2.13.2 started by @Priya Raman",
            "deploy-bot",
            "messages[10]",
        ),
        (
            at(14, 16, 40, 300),
            "deploy",
            "checkout-service v2.13.2 deployed to prod-eu-1 (rollback)",
            "deploy-bot",
            "messages[11]",
        ),
        (
            at(14, 19, 33, 300),
            "alert",
            "[RESOLVED] CheckoutErrorRateHigh (severity=warning, service=checkout-service) — Checkout 5xx ratio above 2% for 5m",
            "Alertmanager",
            "messages[12]",
        ),
        (
            at(14, 22, 33, 300),
            "alert",
            "[RESOLVED] CheckoutLatencyHigh (severity=critical, service=checkout-service) — Checkout p99 latency above 2s",
            "Alertmanager",
            "messages[13]",
        ),
        (
            at(14, 24, 10, 100),
            "chat",
            "p99 back to 310ms, error rate 0.1%. watching for 5 more min",
            "Ana Souza",
            "messages[14]",
        ),
        (
            at(14, 25, 20, 300),
            "alert",
            "Resolved: #4821 Checkout p99 latency above 2s by Ana Souza",
            "PagerDuty",
            "messages[15]",
        ),
        (
            at(14, 30, 5, 100),
            "chat",
            "Resolved. ~12% of checkout attempts failed between 13:58 and 14:20. Postmortem owner: me",
            "Lee Chen",
            "messages[16]",
        ),
    ]
    assert (parsed.format, parsed.title, parsed.services, parsed.times) == ("slack", None, [], {})


def test_slack_export_in_a_messages_object_skips_joins_and_textless_posts_and_keeps_unknown_users_as_ids():
    parsed = parse("slack", load("slack/search-stale-minimal.json"))
    assert rows(parsed) == [
        (
            at(9, 20, 11, 100, day=9),
            "chat",
            "@here search results look stale, newest docs are from last night <08:00>",
            "Mo Okafor",
            "messages[1]",
        ),
        (
            at(9, 22, 30, 100, day=9),
            "chat",
            "indexer is stuck on a poison doc, skipping it. cc @U05ZZUNKN1",
            "Kai Voss",
            "messages[2]",
        ),
        (at(9, 31, 47, 300, day=9), "chat", "Search freshness back to normal (lag 42s)", "status-bot", "messages[4]"),
        (at(9, 33, 0, 100, day=9), "chat", "should we redeploy the indexer anyway?", "Kai Voss", "messages[5]"),
    ]


def test_slack_bots_are_classified_by_their_name_first_and_then_by_their_text():
    def bot(name: str, words: str) -> dict:
        return {"subtype": "bot_message", "ts": "1709301900.000200", "text": words, "username": name}

    messages = [
        bot("Datadog", "Monitor recovered on checkout"),
        bot("argocd-notifier", "Sync of checkout succeeded"),
        bot("release-bot", "checkout released v1.2.0"),
        bot("ops-bot", "[FIRING:2] DiskFull"),
        bot("ops-bot", "Rollout of search 3/10 pods"),
        bot("ops-bot", "Reminder: standup in 5"),
        {"ts": "1709301900.000200", "text": "deployed the fix", "user": "U1", "user_name": "jane"},
    ]
    assert [(e.source, e.actor) for e in parse("slack", messages).events] == [
        ("alert", "Datadog"),
        ("deploy", "argocd-notifier"),
        ("deploy", "release-bot"),
        ("alert", "ops-bot"),
        ("deploy", "ops-bot"),
        ("chat", "ops-bot"),
        ("chat", "jane"),
    ]


def test_slack_mentions_take_names_from_an_accompanying_users_list():
    data = {
        "users": [{"id": "U07IRIS001", "name": "iris", "profile": {"real_name": "Iris Adeyemi"}}],
        "messages": [
            {
                "ts": "1709301900.000200",
                "user": "U07IRIS001",
                "text": "paging <@U07IRIS001|iris-old> &amp; <!subteam^S1|@db-oncall>",
            }
        ],
    }
    assert rows(parse("slack", data)) == [
        (at(14, 5, 0, 200), "chat", "paging @Iris Adeyemi & @db-oncall", "Iris Adeyemi", "messages[0]"),
    ]


def test_slack_markup_cleaning_keeps_escaped_angle_brackets_and_lone_asterisks_literal():
    assert (
        slack.clean_markup("x &lt;b&gt; 2 * 3 :tada: `v1` *bold* <https://a.example/x>", {})
        == "x <b> 2 * 3 v1 bold https://a.example/x"
    )


# --- PagerDuty ----------------------------------------------------------------------------


def test_pagerduty_log_entries_become_sentences_with_the_incident_and_its_key_times():
    parsed = parse("pagerduty", load("pagerduty/checkout-latency-2024-03-01.json"))
    assert rows(parsed) == [
        (
            at(13, 58, 35),
            "alert",
            "Triggered: [#4821] Checkout p99 latency above 2s via API",
            "Prometheus Alertmanager",
            "log_entries[0]",
        ),
        (at(13, 58, 36), "page", "Notified Ana Souza by push notification", None, "log_entries[1]"),
        (at(14, 3, 36), "page", "Escalated to level 2 by timeout", None, "log_entries[2]"),
        (at(14, 3, 37), "page", "Notified Tom Becker by phone", None, "log_entries[3]"),
        (at(14, 4, 10), "page", "Acknowledged by Ana Souza", "Ana Souza", "log_entries[4]"),
        (
            at(14, 6, 30),
            "note",
            "Note: SEV2 declared. IC: Lee Chen. Suspect checkout-service v2.14.0 deploy at 13:45.",
            "Lee Chen",
            "log_entries[5]",
        ),
        (
            at(14, 10, 15),
            "note",
            "Note: Rolling back checkout-service to v2.13.2 (DB pool change in v2.14.0 suspected).",
            "Lee Chen",
            "log_entries[6]",
        ),
        (at(14, 25, 2), "page", "Resolved by Ana Souza", "Ana Souza", "log_entries[7]"),
    ]
    assert (parsed.format, parsed.id, parsed.title, parsed.services, parsed.times) == (
        "pagerduty",
        "Q1CHK4821XYZ",
        "Checkout p99 latency above 2s",
        ["checkout-service"],
        {"detected_at": at(13, 58, 35), "acknowledged_at": at(14, 4, 10), "resolved_at": at(14, 25, 2)},
    )


def test_pagerduty_key_times_follow_the_clock_not_the_newest_first_order_of_the_file():
    parsed = parse("pagerduty", load("pagerduty/search-stale-newest-first.json"))
    assert rows(parsed) == [
        (at(9, 34, 10, day=9), "page", "Resolved by Kai Voss", "Kai Voss", "log_entries[0]"),
        (at(9, 26, 0, day=9), "page", "Acknowledged by Kai Voss", "Kai Voss", "log_entries[1]"),
        (at(9, 25, 30, day=9), "page", "Snoozed for 30 minutes by Kai Voss", "Kai Voss", "log_entries[2]"),
        (at(9, 24, 0, day=9), "page", "Assigned to Kai Voss by Mo Okafor", "Mo Okafor", "log_entries[3]"),
        (at(9, 21, 12, day=9), "page", "Acknowledged by Mo Okafor", "Mo Okafor", "log_entries[4]"),
        (
            at(9, 21, 0, day=9),
            "alert",
            "Triggered: [#4977] Search results stale via the web UI",
            "Mo Okafor",
            "log_entries[5]",
        ),
    ]
    assert (parsed.id, parsed.title, parsed.services, parsed.times) == (
        "Q2SRCH0977ABC",
        "Search results stale",
        ["search-indexer"],
        {
            "detected_at": at(9, 21, 0, day=9),
            "acknowledged_at": at(9, 21, 12, day=9),
            "resolved_at": at(9, 34, 10, day=9),
        },
    )


def test_pagerduty_also_reads_a_bare_list_of_log_entries_and_entries_without_their_own_wording():
    entries = [
        {"type": "trigger_log_entry", "created_at": "2024-03-01T14:00:00Z", "channel": {"type": "email"}},
        {"type": "urgency_change_log_entry", "created_at": "2024-03-01T14:01:00Z"},
        {"type": "annotate_log_entry", "created_at": "2024-03-01T14:02:00Z", "note": "plain string note"},
    ]
    assert pagerduty.PARSER.sniff(entries)
    parsed = parse("pagerduty", entries)
    assert rows(parsed) == [
        (at(14, 0), "alert", "Triggered: incident via email", None, "log_entries[0]"),
        (at(14, 1), "page", "Urgency change", None, "log_entries[1]"),
        (at(14, 2), "note", "Note: plain string note", None, "log_entries[2]"),
    ]
    assert (parsed.id, parsed.title, parsed.times) == (None, None, {"detected_at": at(14, 0)})


# --- Alertmanager -------------------------------------------------------------------------


def test_alertmanager_deliveries_give_one_firing_and_one_resolved_event_per_alert():
    parsed = parse("alertmanager", load("alertmanager/checkout-latency-2024-03-01.json"))
    assert rows(parsed) == [
        (
            at(13, 58, 30, 118425),
            "alert",
            "FIRING CheckoutLatencyHigh (severity=critical, service=checkout-service): Checkout p99 latency above 2s",
            None,
            "[0].alerts[0]",
        ),
        (
            at(14, 7, 5, 520000),
            "alert",
            "FIRING CheckoutErrorRateHigh (severity=warning, service=checkout-service): Checkout 5xx ratio above 2% for 5m",
            None,
            "[1].alerts[1]",
        ),
        (
            at(14, 19, 30, 520000),
            "alert",
            "RESOLVED CheckoutErrorRateHigh (severity=warning, service=checkout-service): Checkout 5xx ratio above 2% for 5m",
            None,
            "[2].alerts[1]",
        ),
        (
            at(14, 22, 30, 118425),
            "alert",
            "RESOLVED CheckoutLatencyHigh (severity=critical, service=checkout-service): Checkout p99 latency above 2s",
            None,
            "[3].alerts[0]",
        ),
    ]
    assert (parsed.format, parsed.severity, parsed.services, parsed.times) == (
        "alertmanager",
        "critical",
        ["checkout-service"],
        {"detected_at": at(13, 58, 30, 118425)},
    )


def test_alertmanager_single_delivery_keeps_a_still_firing_alert_and_its_offset_as_written():
    parsed = parse("alertmanager", load("alertmanager/search-lag-single-firing.json"))
    plus_one = dt.timezone(dt.timedelta(hours=1))
    assert rows(parsed) == [
        (
            at(10, 14, 27, 521377, day=9, tz=plus_one),
            "alert",
            "FIRING SearchIndexLagHigh (severity=warning, job=search-indexer): Index lag is 3h 12m on indexer-2",
            None,
            "alerts[0]",
        ),
    ]
    assert (parsed.severity, parsed.services, parsed.times) == (
        "warning",
        ["search-indexer"],
        {"detected_at": at(10, 14, 27, 521377, day=9, tz=plus_one)},
    )


def test_alertmanager_reports_resolved_only_when_the_alert_says_so_and_has_a_real_end():
    def alert(name: str, status: str, ends: str) -> dict:
        return {
            "status": status,
            "labels": {"alertname": name, "app": "cart", "severity": "page"},
            "startsAt": "2024-03-01T14:00:00Z",
            "endsAt": ends,
        }

    payload = {
        "version": "4",
        "status": "firing",
        "alerts": [
            alert("StillFiringWithFutureEnd", "firing", "2024-03-01T14:30:00Z"),
            alert("ResolvedWithZeroEnd", "resolved", "0001-01-01T00:00:00Z"),
            alert("Resolved", "resolved", "2024-03-01T14:10:00Z"),
        ],
    }
    parsed = parse("alertmanager", payload)
    assert [(e.at, e.text) for e in parsed.events] == [
        (at(14, 0), "FIRING StillFiringWithFutureEnd (severity=page, app=cart)"),
        (at(14, 0), "FIRING ResolvedWithZeroEnd (severity=page, app=cart)"),
        (at(14, 0), "FIRING Resolved (severity=page, app=cart)"),
        (at(14, 10), "RESOLVED Resolved (severity=page, app=cart)"),
    ]
    assert (parsed.severity, parsed.services) == ("page", ["cart"])


def test_alertmanager_severity_is_the_highest_seen_and_services_come_from_service_then_app_then_job():
    alerts = [
        {"labels": {"alertname": "A", "severity": "info", "job": "node-exporter"}, "startsAt": "2024-03-01T14:00:00Z"},
        {
            "labels": {"alertname": "B", "severity": "critical", "service": "cart", "job": "kube"},
            "startsAt": "2024-03-01T13:59:00Z",
        },
        {"labels": {"alertname": "C", "severity": "warning", "app": "search"}, "startsAt": "2024-03-01T14:01:00Z"},
    ]
    parsed = parse("alertmanager", {"receiver": "r", "alerts": alerts})
    assert (parsed.severity, parsed.services, parsed.times) == (
        "critical",
        ["node-exporter", "cart", "search"],
        {"detected_at": at(13, 59)},
    )


# --- text and Markdown --------------------------------------------------------------------


def test_markdown_postmortem_gives_events_undated_entries_incident_fields_and_notes():
    parsed = parse("text", load("text/checkout-latency-2024-03-01.md"), default_date=dt.date(2024, 5, 5))
    assert rows(parsed) == [
        (at(13, 45), "deploy", "checkout-service v2.14.0 deployed to prod-eu-1 by Priya", None, "line 18"),
        (at(13, 58), "alert", "CheckoutLatencyHigh alert fired (p99 > 2 s)", None, "line 19"),
        (at(13, 58), "page", "PagerDuty paged Ana Souza (primary on-call)", None, "line 20"),
        (at(14, 3), "page", "No ack after 5 min; PagerDuty escalated to Tom Becker", None, "line 21"),
        (at(14, 4), "page", "Ana acknowledged and started investigating", None, "line 22"),
        (at(14, 6), "note", "Lee Chen took incident command and declared SEV2", None, "line 23"),
        (at(14, 7, 5), "alert", "CheckoutErrorRateHigh alert fired: 5xx ratio above 2%", None, "line 24"),
        (
            at(14, 9),
            "metric",
            "Priya pointed at the DB pool change in v2.14.0; pool wait time at 900 ms (pool size 20 per pod, was 50)",
            None,
            "line 25",
        ),
        (at(14, 11), "deploy", "Rollback to v2.13.2 started", None, "line 27"),
        (at(14, 16), "deploy", "Rollback complete, v2.13.2 live in prod-eu-1", None, "line 28"),
        (at(14, 22), "alert", "p99 back to 310 ms, latency alert resolved", None, "line 30"),
        (at(14, 25), "page", "Ana resolved the PagerDuty incident", None, "line 31"),
    ]
    assert parsed.undated == [
        RawUndated(
            source="chat",
            text="Support posted a customer notice on the status page",
            time_text="14:??",
            locator="line 29",
        )
    ]
    assert (parsed.format, parsed.title, parsed.severity, parsed.services) == (
        "text",
        "Checkout latency spike after checkout-service v2.14.0",
        "SEV2",
        ["checkout-service", "checkout-db"],
    )
    assert parsed.notes == (
        "All times UTC.\n\n## Summary\n\n"
        "For about 22 minutes checkout p99 latency stayed above 2 s and roughly 12% of checkout\n"
        "attempts failed. checkout-service v2.14.0 lowered the database connection pool from 50 to\n"
        "20 connections per pod; under Friday afternoon traffic the pool ran dry. Rolling back to\n"
        "v2.13.2 restored service.\n\n## Impact\n\n"
        "- About 12% of checkout attempts failed between 13:58 and 14:20.\n"
        "- 143 support tickets mention failed payments.\n\n## Follow-ups\n\n"
        "- Load-test connection pool changes before rollout."
    )


def test_markdown_table_reads_time_source_actor_and_event_columns_in_the_zone_the_header_names():
    parsed = parse("text", load("text/checkout-latency-table.md"))
    assert rows(parsed) == [
        (at(13, 45), "deploy", "checkout-service v2.14.0 rolled out to prod-eu-1", "Priya Raman", "line 8"),
        (at(13, 58, 30), "alert", "CheckoutLatencyHigh firing for checkout-service", "Alertmanager", "line 9"),
        (at(14, 4), "page", "Acknowledged", "Ana Souza", "line 10"),
        (at(14, 6), "chat", "IC declared SEV2 in #inc-4821-checkout", "Lee Chen", "line 11"),
        (at(14, 11), "deploy", "Rollback to v2.13.2 started", "Priya Raman", "line 12"),
        (at(14, 16, 40), "deploy", "v2.13.2 live, rollback complete", "Priya Raman", "line 13"),
        (at(14, 24), "metric", "p99 310 ms | errors 0.1%", "Ana Souza", "line 14"),
        (at(14, 25), "page", "Resolved in PagerDuty", "Ana Souza", "line 15"),
    ]
    assert (parsed.id, parsed.title, parsed.notes) == (
        "INC-4821",
        "INC-4821 timeline (IC notes)",
        "The escalation to Tom at 14:03 was the policy working as designed: Ana's phone was on\n"
        "do-not-disturb and the push notification did not ring.",
    )


def test_plain_text_times_without_a_date_take_the_default_date_stay_naive_and_step_over_midnight():
    parsed = parse("text", load("text/overnight-billing-export.txt"), default_date=dt.date(2024, 3, 4))
    assert rows(parsed) == [
        (at(23, 40, day=4, tz=None), "note", "billing-export job started on schedule", None, "line 3"),
        (at(23, 52, day=4, tz=None), "alert", "BillingExportSlow: job running longer than 10 min", None, "line 4"),
        (at(23, 58, day=4, tz=None), "page", "on-call paged", None, "line 5"),
        (at(0, 7, day=5, tz=None), "note", "restarted the export worker with a 4 GB heap", None, "line 6"),
        (at(0, 31, day=5, tz=None), "note", "export finished; invoices were delivered 31 min late", None, "line 7"),
    ]
    assert (
        parsed.notes
        == "Nightly billing export ran late\n\nNo customer saw a wrong invoice; two asked support why theirs was late."
    )


def test_plain_text_times_without_any_date_are_an_input_error_that_says_how_to_give_one():
    error = error_of("text", load("text/overnight-billing-export.txt"))
    assert (
        str(error) == "bad-input: line 3: time-only entries need a date: add a line 'Date: YYYY-MM-DD' or pass --date"
    )


def test_every_documented_line_style_opens_an_event_and_only_a_leading_timestamp_does():
    timeline = "\n".join(
        [
            "Date: 2024-03-01",
            "14:05 UTC - utc with a dash",
            "14:06 - naive with a dash",
            "14:07:12Z zulu with seconds",
            "2024-03-01 14:08:12Z date and time",
            "2024-03-01T14:09:12+01:00 — with an offset",
            "- **14:10** bold bullet",
            "* 14:11 UTC: star bullet with a colon",
            "[deploy] 14:12 tag before the time",
            "14:13 [chat] tag after the time",
            "14:14 Zookeeper lost quorum",
            "1. 14:15 numbered",
            "Latency rose to 14:05 levels again.",
            "14:16 p99 latency rose to 14:05 levels",
        ]
    )
    plus_one = dt.timezone(dt.timedelta(hours=1))
    parsed = parse("text", timeline)
    assert [(e.at, e.source, e.text, e.locator) for e in parsed.events] == [
        (at(14, 5), "note", "utc with a dash", "line 2"),
        (at(14, 6, tz=None), "note", "naive with a dash", "line 3"),
        (at(14, 7, 12), "note", "zulu with seconds", "line 4"),
        (at(14, 8, 12), "note", "date and time", "line 5"),
        (at(14, 9, 12, tz=plus_one), "note", "with an offset", "line 6"),
        (at(14, 10, tz=None), "note", "bold bullet", "line 7"),
        (at(14, 11), "note", "star bullet with a colon", "line 8"),
        (at(14, 12, tz=None), "deploy", "tag before the time", "line 9"),
        (at(14, 13, tz=None), "chat", "tag after the time", "line 10"),
        (at(14, 14, tz=None), "note", "Zookeeper lost quorum", "line 11"),
        (at(14, 15, tz=None), "note", "numbered", "line 12"),
        (at(14, 16, tz=None), "metric", "p99 latency rose to 14:05 levels", "line 14"),
    ]
    assert parsed.notes == "Latency rose to 14:05 levels again."


def test_the_source_of_a_line_is_inferred_from_its_first_telling_word():
    lines = [
        "Alert CheckoutLatencyHigh fired",
        "Jane acknowledged the alert",
        "Rolled back the deploy after the latency alert",
        "p99 latency at 2.4 s",
        "Jane said in #incidents that she is on it",
        "Incident declared",
        "Status page updated",
    ]
    assert [text.infer_source(line) for line in lines] == ["alert", "page", "deploy", "metric", "chat", "note", "note"]


def test_dates_come_from_headings_and_date_lines_and_only_a_long_backward_jump_crosses_midnight():
    timeline = "\n".join(
        [
            "## 2024-03-01",
            "23:50 late",
            "23:48 listed out of order",
            "00:10 after midnight",
            "## 2024-03-05",
            "**2024-03-06**",
            "09:00 a later day",
        ]
    )
    assert [e.at for e in parse("text", timeline).events] == [
        at(23, 50, tz=None),
        at(23, 48, tz=None),
        at(0, 10, day=2, tz=None),
        at(9, 0, day=6, tz=None),
    ]


def test_a_timestamp_alone_on_its_line_takes_the_paragraph_below_as_its_text():
    timeline = "# 2024-03-01\n\n### 14:05 UTC\n\nCheckout alert fired\nfor all regions.\n\n### 14:20 UTC\nRolled back."
    assert [(e.at, e.source, e.text, e.locator) for e in parse("text", timeline).events] == [
        (at(14, 5), "alert", "Checkout alert fired for all regions.", "line 3"),
        (at(14, 20), "deploy", "Rolled back.", "line 8"),
    ]


def test_a_zone_the_file_states_applies_to_its_times_without_an_offset():
    oslo = parse("text", "Timezone: Europe/Oslo\n2024-03-01 14:05 - local time\n14:06Z - already zoned")
    assert [e.at.isoformat() for e in oslo.events] == ["2024-03-01T14:05:00+01:00", "2024-03-01T14:06:00+00:00"]
    stated = parse("text", "(All times in UTC)\n2024-03-01 14:05 - noted")
    assert [e.at for e in stated.events] == [at(14, 5)]
    assert stated.notes == "(All times in UTC)"


@pytest.mark.parametrize(
    ("timeline", "message"),
    [
        ("Date: 2024-03-01\n2:05 PM - lunch", "line 2: 12-hour times (2:05 PM) are not supported; write 14:05"),
        ("Date: 2024-03-01\n14:05 UTC+2 - x", "line 2: write 14:05 UTC+2 as an offset such as +02:00"),
        ("Date: 2024-02-30\n14:05 - x", "line 1: impossible timestamp '2024-02-30'"),
        ("Date: first of March\n14:05 - x", "line 1: 'Date:' needs a date written YYYY-MM-DD, not 'first of March'"),
        ("Date: 2024-03-01\n14:05 -", "line 2: '14:05' has no event text after it"),
        ("Timezone: Mars/Olympus\n2024-03-01 14:05 x", "line 1: unknown time zone 'Mars/Olympus'"),
        (
            "Date: 2024-03-01\n| Time (CST) | Event |\n|---|---|\n| 14:05 | x |",
            "line 2: unknown time zone 'CST'",
        ),  # ambiguous: US or China
        (
            "Date: 2024-03-01\n\n| When | What |\n|---|---|\n| 14:05 | ok |\n| 24:10 | too late |",
            "line 6: impossible timestamp '24:10'",
        ),
        (
            "Date: 2024-03-01\n| Time | Event |\n| --- | --- |\n| soon | ok |",
            "line 4: unreadable time 'soon' in the time column",
        ),
        ("Date: 2024-03-01\n| Time | Event |\n| --- | --- |\n| 14:05 |  |", "line 4: the table row has no event text"),
    ],
)
def test_unreadable_timeline_lines_are_input_errors_naming_the_line(timeline, message):
    assert message in str(error_of("text", timeline))


def test_a_time_column_header_applies_a_zone_only_when_it_names_one():
    local = "Date: 2024-03-01\n| When (local) | What |\n|---|---|\n| 14:05 | x |"
    cet = "Date: 2024-03-01\n| When (CET) | What |\n|---|---|\n| 14:05 | x |"
    assert [e.at.isoformat() for e in parse("text", local).events + parse("text", cet).events] == [
        "2024-03-01T14:05:00",
        "2024-03-01T14:05:00+01:00",
    ]


def test_an_unknown_or_approximate_time_keeps_the_event_undated_instead_of_placing_it_by_guess():
    timeline = "\n".join(
        [
            "Date: 2024-03-01",
            "- ~14:10 Jane restarted a pod",
            "??:?? [deploy] someone flipped the flag",
            "",
            "| Time | Event |",
            "|---|---|",
            "| 14:?? | Status page updated |",
            "| unknown | Alert fired on search |",
        ]
    )
    parsed = parse("text", timeline)
    assert (parsed.events, parsed.undated) == (
        [],
        [
            RawUndated(source="note", text="Jane restarted a pod", time_text="~14:10", locator="line 2"),
            RawUndated(source="deploy", text="someone flipped the flag", time_text="??:??", locator="line 3"),
            RawUndated(source="note", text="Status page updated", time_text="14:??", locator="line 7"),
            RawUndated(source="alert", text="Alert fired on search", time_text="unknown", locator="line 8"),
        ],
    )


def test_a_table_without_a_time_column_is_kept_in_the_notes_and_does_not_make_a_timeline():
    impact = "## Impact\n\n| Metric | Value |\n|---|---|\n| Failed checkouts | 12% |"
    assert not text.PARSER.sniff(impact)
    parsed = parse("text", impact)
    assert (parsed.events, parsed.notes) == ([], impact)


def test_prose_that_mentions_a_time_mid_sentence_is_not_a_timeline():
    assert not text.PARSER.sniff("We saw latency rise to 14:05 levels.\nDate: 2024-03-01\n")
    assert text.PARSER.sniff("Notes\n\n| Time (UTC) | Event |\n|---|---|\n| 14:05 | x |")
