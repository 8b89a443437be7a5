"""Handing a draft back: each open action filed once in GitHub Issues or Jira, the links written into the draft and
the memory, one Slack summary per draft version; nothing sent when nothing is configured, and a failing service
never costs the draft. Every call goes through the real HTTP client to local fakes of the documented APIs."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import pytest
from conftest import EXAMPLE
from fake_trackers import GITHUB_RATE_LIMITED, SLACK_RATE_LIMITED, FakeGitHub, FakeJira, FakeSlack

from pm_agent.automation.queue import JobQueue
from pm_agent.automation.worker import Worker
from pm_agent.backends.retry import RetryPolicy
from pm_agent.cli import main
from pm_agent.handback import hand_back
from pm_agent.render.postmortem import render_markdown
from pm_agent.service import PostmortemService
from pm_agent.settings import Settings

INCIDENT_TEXT = EXAMPLE.read_text()
OPEN_ACTIONS = [
    'Halt changes like "payments-api config v412 rolled out: pgbouncer pool_size lowered from 80 to 20" automatically '
    'when "payments-api 5xx rate rises above 2%; p99 latency 4.8 s" shows during the rollout',
    "Make the load test cover the pool_size change",
]


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 3, 10, 15, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def slept():
    return []


@pytest.fixture
def run(monkeypatch, slept):
    """``run(**env)``: a worker over a fresh queue with those settings; returns (worker, queue, service)."""
    monkeypatch.setenv("PM_AGENT_EMBEDDER", "lexical")
    clock = Clock()

    def make(**env: str):
        for name, value in env.items():
            monkeypatch.setenv(f"PM_AGENT_{name.upper()}", value)
        service = PostmortemService(Settings())
        queue = JobQueue(service.settings.queue_dir, clock=clock)
        policy = RetryPolicy(max_attempts=3, deadline_s=30, jitter_s=0, backoff_multiplier_s=0.01, sleep=slept.append)
        return Worker(queue, service, handback_policy=policy), queue, service

    make.clock = clock
    return make


def github_env(api: FakeGitHub, **more: str) -> dict[str, str]:
    return {"tracker": "github", "github_url": api.url, "github_token": api.token, "github_repo": api.repo, **more}


def jira_env(api: FakeJira) -> dict[str, str]:
    return {
        "tracker": "jira",
        "jira_url": api.url,
        "jira_email": "sre-bot@example.com",
        "jira_token": "ATATT3xFfGF0-fake-jira-token",
        "jira_project": "OPS",
    }


def slack_env(api: FakeSlack) -> dict[str, str]:
    return {"slack_url": api.api_url, "slack_token": api.token, "slack_channel": "C0INCIDENT", "slack_summary": "true"}


def draft_once(worker, queue, text: str = INCIDENT_TEXT):
    queue.enqueue("incident:INC-2031", "incident", "payments-outage.json", text)
    [job] = worker.run_pending()
    return job


def test_a_slack_token_set_to_read_incident_channels_posts_nothing_without_slack_summary(run):
    with FakeSlack() as slack:
        worker, queue, _ = run(slack_url=slack.api_url, slack_token=slack.token, slack_channel="C0INCIDENT")
        job = draft_once(worker, queue)

    assert (job.state, job.error, slack.requests) == ("done", None, [])


def redrafted_text() -> str:
    data = json.loads(INCIDENT_TEXT)
    data["title"] += " (reviewed)"
    return json.dumps(data)


def test_nothing_is_sent_and_nothing_written_when_no_tracker_and_no_slack_token_are_set(run):
    with FakeGitHub() as github, FakeSlack() as slack:
        worker, queue, service = run(
            github_url=github.url, github_repo=github.repo, slack_url=slack.api_url, slack_channel="C0INCIDENT"
        )
        job = draft_once(worker, queue)

    out = service.settings.output_dir
    draft = service.draft(service.load_text(INCIDENT_TEXT, name="payments-outage.json"))
    assert (job.state, job.error) == ("done", None)
    assert (github.requests, slack.requests) == ([], [])
    assert sorted(path.name for path in out.iterdir()) == ["INC-2031.json", "INC-2031.md"]
    assert (out / "INC-2031.md").read_text() == render_markdown(draft)


def test_each_open_action_is_filed_once_in_github_across_a_redelivery_and_a_redraft(run):
    with FakeGitHub() as github:
        worker, queue, service = run(**github_env(github))
        first = draft_once(worker, queue)
        redelivered = queue.enqueue("incident:INC-2031", "incident", "payments-outage.json", INCIDENT_TEXT)
        again = worker.run_pending()
        redraft = draft_once(worker, queue, redrafted_text())
        direct = hand_back(
            _draft_from(service),
            settings=service.settings,
            channel=None,
            draft_paths=[service.settings.output_dir / "INC-2031.md"],
        )

    assert (first.state, first.error, redelivered.duplicate, again) == ("done", None, True, [])
    assert (redraft.state, redraft.error) == ("done", None)
    assert [issue["title"] for issue in github.issues] == OPEN_ACTIONS
    assert len(github.calls("POST", r"/repos/acme/ops/issues")) == 2
    assert [(a.issue, a.filed_now) for a in direct.actions] == [("#1", False), ("#2", False)]
    draft = (service.settings.output_dir / "INC-2031.md").resolve()
    assert github.issues[1]["body"] == (
        "Action item from the postmortem of INC-2031: Payments API returned 502s after a connection-pool change\n\n"
        '- Done when: In place, and a test or drill that repeats "the pool_size change was not covered by the load '
        'test" shows it catching the failure.\n'
        "- Owner: Service owner of payments-api\n- Due: 2026-04-21\n- Priority: P1\n"
        '- Addresses: The data records a missing safeguard at 2026-03-10 14:31 UTC: "Identified config v412 as the '
        'likely trigger; the pool_size change was not covered by the load test".\n\n'
        f"Draft: {draft}\n\n<!-- pm-agent:INC-2031/1013aad00d66 -->"
    )


def _draft_from(service):
    from pm_agent.models import Postmortem

    return Postmortem.model_validate_json((service.settings.output_dir / "INC-2031.json").read_text())


def test_the_issue_links_are_written_into_the_draft_files_and_shown_by_actions_list(run, capsys):
    with FakeGitHub() as github:
        worker, queue, service = run(**github_env(github))
        draft_once(worker, queue)
    out = service.settings.output_dir

    rows = [line for line in (out / "INC-2031.md").read_text().splitlines() if line.startswith("| A")]
    actions = json.loads((out / "INC-2031.json").read_text())["action_items"]
    assert [row.rsplit("|", 2)[1].strip() for row in rows] == [
        "",
        "[#1](https://github.example/acme/ops/issues/1)",
        "[#2](https://github.example/acme/ops/issues/2)",
    ]
    assert [(a.get("tracker_url"), a.get("tracker_state")) for a in actions] == [
        (None, None),
        ("https://github.example/acme/ops/issues/1", "open"),
        ("https://github.example/acme/ops/issues/2", "open"),
    ]
    service.with_memory(lambda memory: memory.close())
    capsys.readouterr()
    assert main(["actions", "list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line.rsplit(" | ", 1)[1] for line in listed] == [
        "issue: https://github.example/acme/ops/issues/1",
        "issue: https://github.example/acme/ops/issues/2",
    ]


def test_a_lost_ledger_files_nothing_again_because_each_issue_carries_its_marker(run):
    with FakeGitHub() as github:
        worker, queue, service = run(**github_env(github))
        draft_once(worker, queue)
        shutil.rmtree(service.settings.output_dir / ".handback")
        report = hand_back(
            _draft_from(service),
            settings=service.settings,
            channel=None,
            draft_paths=[service.settings.output_dir / "INC-2031.json"],
        )

    assert len(github.issues) == 2
    assert [(a.issue, a.filed_now) for a in report.actions] == [("#1", False), ("#2", False)]
    searches = github.calls("GET", "/search/issues")
    assert searches[-1].query["q"].startswith('"pm-agent:INC-2031/') and "repo:acme/ops" in searches[-1].query["q"]


def test_each_open_action_is_filed_once_in_jira_with_an_atlassian_document_and_a_marker_label(run):
    with FakeJira() as jira:
        worker, queue, service = run(**jira_env(jira))
        draft_once(worker, queue)
        draft_once(worker, queue, redrafted_text())

    assert [issue["fields"]["summary"] for issue in jira.issues] == OPEN_ACTIONS
    assert [issue["fields"]["issuetype"] for issue in jira.issues] == [{"name": "Task"}, {"name": "Task"}]
    first = jira.issues[0]["fields"]
    assert first["labels"][0] == "pm-agent" and first["labels"][1].startswith("pm-agent-")
    assert first["description"]["content"][-1]["content"][0]["text"].startswith("pm-agent:INC-2031/")
    actions = json.loads((service.settings.output_dir / "INC-2031.json").read_text())["action_items"]
    assert [a.get("tracker_url") for a in actions] == [None, f"{jira.url}/browse/OPS-1", f"{jira.url}/browse/OPS-2"]


def test_the_slack_summary_is_posted_once_per_draft_version_and_says_where_the_draft_is(run):
    with FakeSlack() as slack, FakeGitHub() as github:
        worker, queue, service = run(**slack_env(slack), **github_env(github))
        draft_once(worker, queue)
        queue.enqueue("incident:INC-2031", "incident", "payments-outage.json", INCIDENT_TEXT)
        worker.run_pending()
        hand_back(
            _draft_from(service),
            settings=service.settings,
            channel="C0INCIDENT",
            draft_paths=[service.settings.output_dir / "INC-2031.md"],
        )

    draft = service.settings.output_dir / "INC-2031.md"
    assert [(m["channel"], m["text"]) for m in slack.messages] == [
        (
            "C0INCIDENT",
            (
                "Postmortem draft ready: Payments API returned 502s after a connection-pool change (INC-2031)\n"
                "Duration: 1 h 03 min | Severity: SEV2 | Open action items: 2 (2 filed in the tracker)\n"
                f"Draft: {draft.resolve()}"
            ),
        )
    ]


def test_a_new_draft_version_gets_its_own_summary(run):
    with FakeSlack() as slack:
        worker, queue, _ = run(**slack_env(slack))
        draft_once(worker, queue)
        draft_once(worker, queue, redrafted_text())

    assert len(slack.messages) == 2


def test_rate_limits_are_waited_out_as_retry_after_asks_and_then_succeed(run, slept):
    with FakeSlack() as slack, FakeGitHub() as github:
        worker, queue, _ = run(**slack_env(slack), **github_env(github))
        github.fail_next(GITHUB_RATE_LIMITED.status, GITHUB_RATE_LIMITED.body, GITHUB_RATE_LIMITED.headers)
        github.fail_next(429, {"message": "API rate limit exceeded"}, {"retry-after": "1"})
        job = draft_once(worker, queue)
        slack.fail_next(SLACK_RATE_LIMITED.status, SLACK_RATE_LIMITED.body, SLACK_RATE_LIMITED.headers)
        queue.enqueue("incident:INC-2031", "incident", "payments-outage.json", redrafted_text())
        worker.run_pending()

    assert (job.state, job.error) == ("done", None)
    assert slept == [2.0, 1.0, 3.0]
    assert (len(github.issues), len(slack.messages)) == (2, 2)


def test_a_refused_token_leaves_the_draft_intact_the_job_done_with_a_note_and_the_hand_back_retried(run, monkeypatch):
    with FakeGitHub() as github:
        worker, queue, service = run(**github_env(github, github_token="ghp_revoked"))
        job = draft_once(worker, queue)
        out = service.settings.output_dir
        plain = render_markdown(service.draft(service.load_text(INCIDENT_TEXT, name="payments-outage.json")))
        draft_before_retry = (out / "INC-2031.md").read_text()
        pending = json.loads((out / ".handback" / "pending" / "INC-2031.json").read_text())

        fixed, _, _ = run(**github_env(github))
        fixed.run_pending()  # not due yet
        filed_too_early = len(github.issues)
        run.clock.now += dt.timedelta(minutes=1)
        fixed.run_pending()

    assert job.state == "done"
    assert job.error == (
        "draft written; handing it back failed (tried again at 2026-03-10T15:01:00+00:00): github: "
        "GitHub refused the credentials (401: Bad credentials); check PM_AGENT_GITHUB_TOKEN"
    )
    assert draft_before_retry == plain
    assert (pending["attempts"], pending["problems"]) == (1, [job.error.split("): ", 1)[1]])
    assert filed_too_early == 0
    assert [issue["title"] for issue in github.issues] == OPEN_ACTIONS
    assert not (out / ".handback" / "pending" / "INC-2031.json").exists()
    assert "[#1](https://github.example/acme/ops/issues/1)" in (out / "INC-2031.md").read_text()


def test_a_tracker_that_stays_down_is_given_up_after_the_retries_and_the_draft_is_kept(run, slept):
    with FakeGitHub() as github:
        worker, queue, service = run(**github_env(github))
        github.fail_next(502, {"message": "Server Error"}, times=3)
        job = draft_once(worker, queue)

    assert job.state == "done"
    assert job.error.endswith("github: GitHub is unavailable (HTTP 502: Server Error) after 3 attempts")
    assert len(slept) == 2 and github.issues == []
    stored = service.with_memory(lambda memory: memory.get_postmortem("INC-2031"))
    assert [a.title for a in stored.action_items if a.status != "done"] == OPEN_ACTIONS


def test_an_expired_slack_token_is_named_and_the_tracker_work_still_happens(run):
    with FakeSlack(token="xoxb-new") as slack, FakeGitHub() as github:
        worker, queue, _ = run(**slack_env(slack) | {"slack_token": "xoxb-old"}, **github_env(github))
        slack.fail_next(200, {"ok": False, "error": "token_expired"})
        job = draft_once(worker, queue)

    assert job.error.endswith(
        "Slack: Slack refused PM_AGENT_SLACK_TOKEN (token_expired); it needs the chat:write scope"
    )
    assert len(github.issues) == 2 and slack.messages == []


def test_a_tracker_missing_a_setting_is_reported_without_sending_anything(run):
    with FakeJira() as jira:
        worker, queue, _ = run(tracker="jira", jira_url=jira.url, jira_project="OPS")
        job = draft_once(worker, queue)

    assert job.error.endswith("PM_AGENT_TRACKER=jira needs PM_AGENT_JIRA_EMAIL, PM_AGENT_JIRA_TOKEN")
    assert jira.requests == []


def test_actions_sync_reads_which_issues_the_tracker_closed_and_actions_list_shows_it(run, capsys):
    with FakeGitHub() as github:
        worker, queue, service = run(**github_env(github))
        draft_once(worker, queue)
        service.with_memory(lambda memory: memory.close())
        github.close(2)
        capsys.readouterr()
        synced = main(["actions", "sync"])
        synced_out = capsys.readouterr().out
    main(["actions", "list"])
    listed = capsys.readouterr().out

    assert synced == 0
    assert [line.rsplit(" | ", 1)[1] for line in synced_out.splitlines()] == [
        "issue: https://github.example/acme/ops/issues/1",
        "issue: https://github.example/acme/ops/issues/2 (closed in the tracker)",
    ]
    assert listed.splitlines()[1].endswith(
        "Make the load test cover the pool_size change | owner: Service owner of payments-api | due: 2026-04-21 "
        "| from INC-2031 | issue: https://github.example/acme/ops/issues/2 (closed in the tracker)"
    )


def test_actions_sync_reads_jira_states_by_status_category(run, capsys):
    with FakeJira() as jira:
        worker, queue, service = run(**jira_env(jira))
        draft_once(worker, queue)
        service.with_memory(lambda memory: memory.close())
        jira.resolve("OPS-1")
        capsys.readouterr()
        assert main(["actions", "sync", "--json"]) == 0
        synced = json.loads(capsys.readouterr().out)

    assert [(a["tracker_url"], a["tracker_state"]) for a in synced] == [
        (f"{jira.url}/browse/OPS-1", "closed"),
        (f"{jira.url}/browse/OPS-2", "open"),
    ]


def test_actions_sync_without_a_tracker_says_what_to_set(run, capsys):
    worker, queue, service = run()
    draft_once(worker, queue)
    service.with_memory(lambda memory: memory.close())

    assert main(["actions", "sync"]) == 2
    assert capsys.readouterr().err == (
        "pm-agent: error: actions sync reads issue states from a tracker: set PM_AGENT_TRACKER=github or jira\n"
    )


def test_what_is_sent_is_redacted_while_the_marker_is_kept_as_it_is(run, tmp_path):
    with FakeGitHub() as github, FakeSlack() as slack:
        _, _, service = run(**github_env(github), **slack_env(slack))
        draft = service.draft(service.load_text(INCIDENT_TEXT, name="payments-outage.json"), use_memory=False)
        leaky = draft.action_items[2].model_copy(
            update={"owner": "dana.ortiz@example.com", "done_when": "the check passes with password=hunter2-Secret9"}
        )
        draft = draft.model_copy(
            update={"title": "Outage seen by ops@example.com", "action_items": [*draft.action_items[:2], leaky]}
        )
        report = hand_back(draft, settings=service.settings, channel=None, draft_paths=[tmp_path / "INC-2031.json"])

    body = github.issues[1]["body"]
    assert report.problems == []
    assert "- Owner: [REDACTED:email]" in body and "password=[REDACTED:password]" in body
    assert "Outage seen by [REDACTED:email]" in body and "example.com" not in body and "hunter2" not in body
    assert body.endswith("<!-- pm-agent:INC-2031/1013aad00d66 -->")
    assert slack.messages[0]["text"].startswith("Postmortem draft ready: Outage seen by [REDACTED:email] (INC-2031)")


def test_a_redraft_remembered_without_a_hand_back_keeps_the_links_its_actions_had(run, monkeypatch):
    with FakeGitHub() as github:
        worker, queue, _service = run(**github_env(github))
        draft_once(worker, queue)
    monkeypatch.setenv("PM_AGENT_TRACKER", "none")
    plain, _, service2 = run()
    draft_once(plain, queue, redrafted_text())

    stored = service2.with_memory(lambda memory: memory.get_postmortem("INC-2031"))
    assert stored.title.endswith("(reviewed)")
    assert [a.tracker_url for a in stored.action_items] == [
        None,
        "https://github.example/acme/ops/issues/1",
        "https://github.example/acme/ops/issues/2",
    ]


def test_the_marker_search_reads_further_pages_when_the_search_matches_loosely(run):
    with FakeGitHub(fuzzy=True) as github:
        for number in range(1, 121):
            github.add_issue(f"Unrelated issue {number}", "Filed by hand, mentions pm-agent and INC-2031.")
        worker, queue, service = run(**github_env(github))
        draft_once(worker, queue)
        shutil.rmtree(service.settings.output_dir / ".handback")
        report = hand_back(
            _draft_from(service),
            settings=service.settings,
            channel=None,
            draft_paths=[service.settings.output_dir / "INC-2031.json"],
        )

    assert [(a.issue, a.filed_now) for a in report.actions] == [("#121", False), ("#122", False)]
    assert len(github.issues) == 122
    assert [seen.query["page"] for seen in github.calls("GET", "/search/issues")][-3:] == ["1", "2", "3"]


def test_two_workers_handing_the_same_draft_back_at_once_file_each_action_once(run, tmp_path):
    import threading

    with FakeGitHub(searchable=False) as github:  # a lagging search index: only the ledger and its lock guard
        _, _, service = run(**github_env(github))
        draft = service.draft(service.load_text(INCIDENT_TEXT, name="payments-outage.json"), use_memory=False)
        start = threading.Barrier(2)
        reports = []

        def hand_it_back() -> None:
            start.wait()
            reports.append(
                hand_back(draft, settings=service.settings, channel=None, draft_paths=[tmp_path / "INC-2031.json"])
            )

        threads = [threading.Thread(target=hand_it_back) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert [issue["title"] for issue in github.issues] == OPEN_ACTIONS
    assert sorted(len(report.filed) for report in reports) == [0, 2]


def test_a_ledger_folder_that_cannot_be_made_is_a_problem_in_the_report_not_an_exception(run, tmp_path):
    (tmp_path / ".handback").write_text("a file where the folder should be")
    with FakeGitHub() as github:
        _, _, service = run(**github_env(github))
        draft = service.draft(service.load_text(INCIDENT_TEXT, name="payments-outage.json"), use_memory=False)
        report = hand_back(draft, settings=service.settings, channel=None, draft_paths=[tmp_path / "INC-2031.json"])

    assert report.problems == [
        f"the hand-back ledger: {tmp_path / '.handback'}: cannot create the hand-back ledger folder (File exists)"
    ]
    assert github.requests == []
