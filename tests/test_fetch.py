"""Fetch on close: a resolved PagerDuty incident read whole from PagerDuty and Slack (local fakes of both APIs, the
real HTTP client), merged into one timeline, drafted; failures drafted from what there is, asked about, fetched again."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from automation_support import FakeClock
from fake_incident_apis import (
    CHANNEL,
    INCIDENT_ID,
    PD_TOKEN,
    SLACK_TOKEN,
    FakePagerDuty,
    FakeSlack,
    Reply,
    incident_story,
    rate_limited,
    slack_users,
    webhook_for,
)

from pm_agent.automation.queue import RETRY_BASE_S, JobQueue
from pm_agent.automation.worker import Worker
from pm_agent.backends.retry import RetryPolicy
from pm_agent.cli import main
from pm_agent.errors import FetchError
from pm_agent.service import PostmortemService
from pm_agent.settings import Settings
from pm_agent.sources.pagerduty_event import read_event

EXPIRED_SLACK = Reply(200, {"ok": False, "error": "token_expired"})


@pytest.fixture
def story():
    return incident_story(log_entries=40, notes=3, messages=200)


@pytest.fixture
def apis(story):
    """The fake PagerDuty and Slack, serving the story; Slack pages at most 50 messages whatever is asked."""
    with (
        FakePagerDuty({INCIDENT_ID: story}) as pagerduty,
        FakeSlack({CHANNEL: story["channel"]}, slack_users(), page_size=50) as slack,
    ):
        yield pagerduty, slack


@pytest.fixture
def waits():
    return []


@pytest.fixture
def service(apis, waits, monkeypatch):
    """A service configured for the fakes, as a user would: through PM_AGENT_* variables."""
    pagerduty, slack = apis
    monkeypatch.setenv("PM_AGENT_EMBEDDER", "lexical")
    for name, value in {
        "PAGERDUTY_TOKEN": PD_TOKEN,
        "SLACK_TOKEN": SLACK_TOKEN,
        "PAGERDUTY_URL": pagerduty.url,
        "SLACK_URL": slack.url,
    }.items():
        monkeypatch.setenv(f"PM_AGENT_{name}", value)
    return PostmortemService(Settings())


def quick(waits: list[float]) -> dict:
    """Client options whose retries record their waits instead of sleeping them."""
    return {
        "policy": RetryPolicy(max_attempts=3, deadline_s=600, backoff_multiplier_s=0.5, jitter_s=0, sleep=waits.append)
    }


def refs_of(events) -> list[str]:
    return [str(ref) for event in events for ref in event.refs]


def every_item(story) -> list[str]:
    """A reference for each log entry, note and chat message of the story, as the timeline names them."""
    base = f"pagerduty:{INCIDENT_ID}"
    chat = [m for m in story["channel"] if "subtype" not in m]
    return (
        [f"{base}/log_entries:log_entries[{i}]" for i in range(len(story["log_entries"]))]
        + [f"{base}/notes:log_entries[{i}]" for i in range(len(story["notes"]))]
        + [f"slack:{CHANNEL}:messages[{i}]" for i in range(len(chat))]
    )


# --- the Done-when of the issue: webhook -> fetch -> draft, and redelivery changes nothing -------------------------


def test_a_resolved_incident_is_drafted_with_every_log_entry_note_and_message_in_order_and_redelivery_changes_nothing(
    story, apis, service, waits, tmp_path
):
    pagerduty, slack = apis
    queue = JobQueue(service.settings.queue_dir)
    worker = Worker(queue, service, output_dir=tmp_path / "drafts")
    worker.fetch_client = quick(waits)
    event = read_event(webhook_for(story))
    delivered = json.dumps(event.incident, indent=2)

    first = queue.enqueue(f"pagerduty:{event.event_id}", "pagerduty", f"pagerduty-{event.event_id}", delivered)
    [job] = worker.run_pending()
    draft = json.loads((tmp_path / "drafts" / f"{INCIDENT_ID}.json").read_text())
    requests = len(pagerduty.requests) + len(slack.requests)

    chat = [m["text"] for m in story["channel"] if "subtype" not in m]
    chat[5] = "Update 5: @Ben Okafor can you check the gateway? the admin password=[REDACTED:password] is in the vault"
    assert (first.duplicate, job.state, job.error, job.slack_channel) == (False, "done", None, CHANNEL)
    assert len(draft["timeline"]) == 40 + 200 + 1  # each log entry and message its own line, and the one alert;
    assert set(every_item(story)) <= {f"{r['file']}:{r['locator']}" for e in draft["timeline"] for r in e["refs"]}
    assert [e["at"] for e in draft["timeline"]] == sorted(e["at"] for e in draft["timeline"])  # each note folded
    assert [e["text"] for e in draft["timeline"] if e["source"] == "chat"] == chat  # into its annotation, both named
    assert not any(q["topic"].startswith("missing source") for q in draft["open_questions"])

    again = queue.enqueue(f"pagerduty:{event.event_id}", "pagerduty", f"pagerduty-{event.event_id}", delivered)
    assert worker.run_pending() == []
    assert (again.duplicate, again.job.id, again.job.state) == (True, job.id, "done")
    assert len(pagerduty.requests) + len(slack.requests) == requests
    assert json.loads((tmp_path / "drafts" / f"{INCIDENT_ID}.json").read_text()) == draft


def test_the_whole_loop_webhook_fetch_draft_and_actions_filed_once_in_the_tracker_and_redelivery_changes_nothing(
    story, apis, waits, tmp_path, monkeypatch
):
    from fake_trackers import FakeGitHub

    pagerduty, slack = apis
    with FakeGitHub() as github:
        for name, value in {
            "PAGERDUTY_TOKEN": PD_TOKEN,
            "SLACK_TOKEN": SLACK_TOKEN,
            "PAGERDUTY_URL": pagerduty.url,
            "SLACK_URL": slack.url,
            "EMBEDDER": "lexical",
            "TRACKER": "github",
            "GITHUB_URL": github.url,
            "GITHUB_TOKEN": github.token,
            "GITHUB_REPO": github.repo,
        }.items():
            monkeypatch.setenv(f"PM_AGENT_{name}", value)
        service = PostmortemService(Settings())
        queue = JobQueue(service.settings.queue_dir)
        worker = Worker(queue, service, output_dir=tmp_path / "drafts")
        worker.fetch_client = quick(waits)
        event = read_event(webhook_for(story))
        delivered = json.dumps(event.incident, indent=2)

        queue.enqueue(f"pagerduty:{event.event_id}", "pagerduty", f"pagerduty-{event.event_id}", delivered)
        [job] = worker.run_pending()
        draft_file = tmp_path / "drafts" / f"{INCIDENT_ID}.json"
        draft = json.loads(draft_file.read_text())
        filed = [issue["title"] for issue in github.issues]
        open_actions = [a for a in draft["action_items"] if a["status"] != "done"]
        refs = {f"{r['file']}:{r['locator']}" for e in draft["timeline"] for r in e["refs"]}

        assert (job.state, job.error) == ("done", None)
        assert set(every_item(story)) <= refs
        assert [e["at"] for e in draft["timeline"]] == sorted(e["at"] for e in draft["timeline"])
        assert open_actions and filed == [a["title"] for a in open_actions]
        assert [a["tracker_url"] for a in open_actions] == [issue["html_url"] for issue in github.issues]

        again = queue.enqueue(f"pagerduty:{event.event_id}", "pagerduty", f"pagerduty-{event.event_id}", delivered)
        assert worker.run_pending() == []
        assert again.duplicate and [issue["title"] for issue in github.issues] == filed
        assert json.loads(draft_file.read_text()) == draft


# --- paging and rate limits -----------------------------------------------------------------------------------------


def test_log_entries_are_read_page_by_page_until_pagerduty_says_there_are_no_more(story, apis, service):
    pagerduty, _ = apis
    pagerduty.MAX_LIMIT = 15

    incident = service.fetch_pagerduty(INCIDENT_ID).incident

    offsets = [seen.query["offset"] for seen in pagerduty.requests if seen.path.endswith("/log_entries")]
    assert offsets == ["0", "15", "30"]
    assert [r for r in refs_of(incident.events) if "/log_entries:" in r] == [
        f"pagerduty:{INCIDENT_ID}/log_entries:log_entries[{i}]" for i in range(40)
    ]


def test_the_channel_is_read_cursor_by_cursor_threads_included_and_every_request_carries_the_token(
    story, apis, service
):
    _, slack = apis

    incident = service.fetch_pagerduty(INCIDENT_ID).incident

    history = [seen for seen in slack.requests if seen.path == "/conversations.history"]
    replies = [seen for seen in slack.requests if seen.path == "/conversations.replies"]
    assert [("cursor" in seen.query) for seen in history] == [False, True, True, True]  # 160 top-level, 50 a page
    assert len(replies) == 20  # one per thread
    assert {seen.headers["authorization"] for seen in slack.requests} == {f"Bearer {SLACK_TOKEN}"}
    assert sum(1 for event in incident.events if event.source == "chat") == 200


def test_a_429_is_waited_out_for_as_long_as_retry_after_says_then_the_fetch_goes_on(story, apis, service, waits):
    pagerduty, slack = apis
    pagerduty.interrupt(rate_limited("2"))
    slack.interrupt(rate_limited("3", slack=True), Reply(503, {"ok": False, "error": "service_unavailable"}))

    fetched = service.fetch_pagerduty(INCIDENT_ID, **quick(waits))

    assert waits[:2] == [2.0, 3.0] and len(waits) == 3  # the 503 without Retry-After: the exponential backoff
    assert fetched.missing == [] and len(fetched.incident.events) == 241


def test_a_rate_limit_that_never_lifts_leaves_that_source_out_and_says_so(story, apis, service, waits):
    _, slack = apis
    slack.interrupt(*[rate_limited("1", slack=True)] * 3)

    fetched = service.fetch_pagerduty(INCIDENT_ID, **quick(waits))

    assert [(m.source, m.retryable) for m in fetched.missing] == [(f"Slack channel {CHANNEL}", True)]
    assert "answered 429 after 3 attempts; try again later" in fetched.missing[0].reason
    assert len(fetched.incident.events) == 41  # PagerDuty's 40 log entries and the alert


# --- tokens, errors, and what the draft says about them -------------------------------------------------------------


def test_an_expired_pagerduty_token_is_one_clear_line_and_exit_status_2(story, apis, service, capsys, monkeypatch):
    monkeypatch.setenv("PM_AGENT_PAGERDUTY_TOKEN", "an-expired-key")

    status = main(["fetch", "pagerduty", INCIDENT_ID])

    err = capsys.readouterr().err
    assert status == 2
    assert err == (
        "pm-agent: error: PagerDuty refused the token (401): it is invalid, expired or revoked; "
        "set PM_AGENT_PAGERDUTY_TOKEN to a valid one\n"
    )


def test_an_expired_slack_token_drafts_without_the_channel_and_asks_about_it(story, apis, service, capsys):
    _, slack = apis
    slack.interrupt(EXPIRED_SLACK)

    status = main(["fetch", "pagerduty", INCIDENT_ID, "--json", "--no-memory"])

    out, err = capsys.readouterr()
    draft = json.loads(out)
    reason = "Slack refused the token (token_expired): it is invalid, expired or revoked; set PM_AGENT_SLACK_TOKEN to a valid one"
    assert status == 0
    assert f"pm-agent: warning: drafted without the Slack channel {CHANNEL}: {reason}\n" in err
    assert draft["open_questions"][0] == {
        "topic": f"missing source: Slack channel {CHANNEL}",
        "question": f"The draft was written without the Slack channel {CHANNEL} ({reason}). What do they add to the "
        "timeline?",
    }
    assert len(draft["timeline"]) == 41


def test_an_unknown_incident_is_a_404_naming_it(apis, service):
    with pytest.raises(FetchError, match=r"^PagerDuty incident PNOSUCH: not found \(404\)"):
        service.fetch_pagerduty("PNOSUCH")


def test_a_channel_the_bot_is_not_in_names_the_fix(story, apis, service):
    fetched = service.fetch_pagerduty(INCIDENT_ID, slack_channel="C0OTHERCHAN")

    assert [str(m) for m in fetched.missing] == [
        "Slack channel C0OTHERCHAN: Slack channel C0OTHERCHAN: channel_not_found; check the id, and invite the "
        "pm-agent app to the channel (/invite)"
    ]


def test_a_channel_given_by_name_is_refused_with_what_to_give_instead(apis, service, capsys):
    assert main(["fetch", "pagerduty", INCIDENT_ID, "--slack-channel", "#inc-uploads"]) == 2
    assert "give the channel's id (like C0123ABCD" in capsys.readouterr().err


def test_an_incident_id_that_is_not_one_is_refused_before_any_request(apis, service):
    pagerduty, _ = apis
    with pytest.raises(Exception, match="is not a PagerDuty incident id"):
        service.fetch_pagerduty("../../users")
    assert pagerduty.requests == []


# --- what is kept of the channel -------------------------------------------------------------------------------------


def test_joins_topic_changes_and_bot_chatter_are_dropped_names_resolved_and_secrets_redacted(story, apis, service):
    _, slack = apis

    events = service.fetch_pagerduty(INCIDENT_ID).incident.events

    texts = " ".join(event.text for event in events)
    assert "has joined" not in texts and "channel topic" not in texts and "stand-up notes" not in texts
    assert {event.actor for event in events if event.source == "chat"} == set(
        slack_users()[u]["real_name"] for u in slack_users()
    )
    assert "password=[REDACTED:password]" in texts and "Hunter2-fake-99" not in texts
    assert sorted({seen.query["user"] for seen in slack.requests if seen.path == "/users.info"}) == sorted(
        slack_users()
    )


def test_the_channel_comes_from_the_incidents_conference_bridge_or_from_a_link_given(story, apis, service):
    _, slack = apis

    linked = service.fetch_pagerduty(INCIDENT_ID)
    given = service.fetch_pagerduty(INCIDENT_ID, slack_channel=f"https://example.slack.com/archives/{CHANNEL}/p1")

    assert (linked.slack_channel, given.slack_channel) == (CHANNEL, CHANNEL)
    assert {seen.query["channel"] for seen in slack.requests if "channel" in seen.query} == {CHANNEL}


def test_the_cli_writes_the_draft_into_a_folder_and_says_what_it_wrote(story, apis, service, capsys, tmp_path):
    status = main(["fetch", "pagerduty", INCIDENT_ID, "-o", str(tmp_path / "out"), "--json", "--no-memory"])

    summary = json.loads(capsys.readouterr().out)
    assert status == 0
    assert summary == {
        "incident_id": INCIDENT_ID,
        "outputs": [str(tmp_path / "out" / f"{INCIDENT_ID}.md"), str(tmp_path / "out" / f"{INCIDENT_ID}.json")],
        "events": 241,
        "slack_channel": CHANNEL,
        "missing": [],
    }
    assert (
        (tmp_path / "out" / f"{INCIDENT_ID}.md").read_text().startswith("# Postmortem: Object storage uploads failing")
    )


# --- the worker: a failed fetch drafts from the payload, asks, and fetches again later ------------------------------


def test_a_failed_fetch_drafts_from_the_payload_asks_why_and_a_later_fetch_makes_a_new_version(
    story, apis, service, waits, tmp_path
):
    pagerduty, _ = apis
    clock = FakeClock()
    queue = JobQueue(service.settings.queue_dir, clock=clock)
    worker = Worker(queue, service, output_dir=tmp_path / "drafts")
    worker.fetch_client = quick(waits)
    event = read_event(webhook_for(story))
    queue.enqueue(f"pagerduty:{event.event_id}", "pagerduty", "pagerduty-event", json.dumps(event.incident))
    pagerduty.token = "rotated-key"  # the configured key no longer works
    written = tmp_path / "drafts" / f"{INCIDENT_ID}.json"

    [waiting] = worker.run_pending()
    from_payload = json.loads(written.read_text())
    pagerduty.token = PD_TOKEN
    clock.advance(RETRY_BASE_S)
    [done] = worker.run_pending()
    fetched = json.loads(written.read_text())

    refused = "PagerDuty refused the token (401): it is invalid, expired or revoked; set PM_AGENT_PAGERDUTY_TOKEN to a valid one"
    assert (waiting.state, waiting.attempts, waiting.outputs) == (
        "pending",
        1,
        [str(written)[:-5] + ".md", str(written)],
    )
    assert waiting.error.startswith(f"drafted without the PagerDuty incident: {refused}; the PagerDuty log entries: ")
    assert (waiting.not_before - clock.now + dt.timedelta(seconds=RETRY_BASE_S)).total_seconds() == RETRY_BASE_S
    assert from_payload["open_questions"][0]["topic"] == "missing source: PagerDuty incident"
    assert len(from_payload["timeline"]) == 2  # triggered and resolved, as the payload says
    assert (done.state, done.attempts, done.error, done.slack_channel) == ("done", 2, None, CHANNEL)
    assert len(fetched["timeline"]) == 241
    assert not any(q["topic"].startswith("missing source") for q in fetched["open_questions"])


def test_without_a_pagerduty_token_the_worker_drafts_the_payload_as_before(story, apis, service, monkeypatch, tmp_path):
    pagerduty, _ = apis
    monkeypatch.delenv("PM_AGENT_PAGERDUTY_TOKEN")
    plain = PostmortemService(Settings())
    queue = JobQueue(plain.settings.queue_dir)
    event = read_event(webhook_for(story))
    queue.enqueue(f"pagerduty:{event.event_id}", "pagerduty", "pagerduty-event", json.dumps(event.incident))

    [job] = Worker(queue, plain, output_dir=tmp_path).run_pending()

    assert (job.state, job.slack_channel, pagerduty.requests) == ("done", None, [])
    assert len(json.loads(Path(job.outputs[1]).read_text())["timeline"]) == 2


# --- the same through the real server: a signed webhook, a fetch, a draft; the redelivery fetches nothing ------------


def test_through_the_webhook_server_a_resolution_is_fetched_whole_and_its_redelivery_is_a_duplicate(
    story, apis, tmp_path
):
    from automation_support import PAGERDUTY_SECRET, body_of, pagerduty_signature
    from test_automation_http import post, wait_until_drafted, webhook_server

    pagerduty, slack = apis
    body = body_of(webhook_for(story, event_id="01FETCHHTTP000000000000001"))
    headers = {"X-PagerDuty-Signature": pagerduty_signature(body)}
    with webhook_server(
        tmp_path,
        PM_AGENT_PAGERDUTY_SECRET=PAGERDUTY_SECRET,
        PM_AGENT_PAGERDUTY_TOKEN=PD_TOKEN,
        PM_AGENT_PAGERDUTY_URL=pagerduty.url,
        PM_AGENT_SLACK_TOKEN=SLACK_TOKEN,
        PM_AGENT_SLACK_URL=slack.url,
    ) as (url, state):
        status, answer = post(f"{url}/webhooks/pagerduty", body, headers)
        wait_until_drafted(state, answer["job"])
        requests = len(pagerduty.requests) + len(slack.requests)
        draft = (state / "drafts" / f"{INCIDENT_ID}.json").read_text()
        again_status, again = post(f"{url}/webhooks/pagerduty", body, headers)

    assert (status, again_status, again["status"], again["job"]) == (202, 202, "duplicate", answer["job"])
    assert len(json.loads(draft)["timeline"]) == 241
    assert len(pagerduty.requests) + len(slack.requests) == requests
    assert (state / "drafts" / f"{INCIDENT_ID}.json").read_text() == draft


def test_a_fetch_that_keeps_failing_parks_the_job_as_failed_with_its_draft_for_queue_retry(
    story, apis, service, waits, tmp_path
):
    from pm_agent.automation.queue import MAX_ATTEMPTS

    pagerduty, _ = apis
    pagerduty.token = "rotated-key"
    clock = FakeClock()
    queue = JobQueue(service.settings.queue_dir, clock=clock)
    worker = Worker(queue, service, output_dir=tmp_path / "drafts")
    worker.fetch_client = quick(waits)
    event = read_event(webhook_for(story))
    queue.enqueue(f"pagerduty:{event.event_id}", "pagerduty", "pagerduty-event", json.dumps(event.incident))

    states = []
    for _ in range(MAX_ATTEMPTS):
        [job] = worker.run_pending()
        states.append(job.state)
        clock.advance(RETRY_BASE_S * 2**MAX_ATTEMPTS)

    assert states == ["pending"] * (MAX_ATTEMPTS - 1) + ["failed"]
    assert (job.attempts, job.incident_id, len(job.outputs)) == (MAX_ATTEMPTS, INCIDENT_ID, 2)
    assert job.error.startswith("drafted without the PagerDuty incident: PagerDuty refused the token (401)")
    assert queue.retry(job).state == "pending"


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"retry-after": "7"}, 7.0),
        ({"retry-after": "Thu, 01 Jan 2026 00:00:30 GMT"}, 30.0),
        ({"ratelimit-reset": "12"}, 12.0),
        ({"retry-after": "soon"}, None),
        ({}, None),
    ],
)
def test_the_wait_a_server_asks_for_is_read_in_seconds_or_as_a_date(headers, seconds):
    from pm_agent.sources.http import retry_after_seconds

    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC).timestamp()
    assert retry_after_seconds(headers, now=lambda: now) == seconds


def test_a_channel_that_would_pass_the_event_limit_is_left_out_and_the_pagerduty_record_still_drafts(
    story, apis, service, monkeypatch
):
    monkeypatch.setenv("PM_AGENT_MAX_EVENTS", "100")

    fetched = PostmortemService(Settings()).fetch_pagerduty(INCIDENT_ID)

    assert [(m.source, m.retryable) for m in fetched.missing] == [(f"Slack channel {CHANNEL}", False)]
    assert fetched.missing[0].reason == "its 200 events would take the incident over 100 (raise PM_AGENT_MAX_EVENTS)"
    assert len(fetched.incident.events) == 41
