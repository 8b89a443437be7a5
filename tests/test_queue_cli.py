"""``pm-agent queue list|retry|purge`` as users run it: a real subprocess over a queue folder with jobs in each state."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import EXAMPLE

from pm_agent.automation.queue import JobQueue
from pm_agent.automation.worker import Worker
from pm_agent.service import PostmortemService
from pm_agent.settings import Settings

QUEUE = [sys.executable, "-m", "pm_agent", "queue"]
BROKEN = '{"title": "x", "events": []}'


@pytest.fixture
def env(tmp_path, monkeypatch):
    variables = {
        "PM_AGENT_MEMORY_DIR": str(tmp_path / "memory"),
        "PM_AGENT_OUTPUT_DIR": str(tmp_path / "drafts"),
        "PM_AGENT_QUEUE_DIR": str(tmp_path / "queue"),
        "PM_AGENT_EMBEDDER": "lexical",
    }
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    return {key: value for key, value in os.environ.items() if not key.startswith("PM_AGENT_")} | variables


@pytest.fixture
def queue(env):
    """One job drafted, one failed (an incident that cannot be read), then one left pending."""
    service = PostmortemService(Settings())
    queue = JobQueue(service.settings.queue_dir)
    queue.enqueue("incident:INC-2031", "incident", "payments.json", EXAMPLE.read_text())
    queue.enqueue("sha256:broken", "incident", "broken.json", BROKEN)
    Worker(queue, service).run_pending()
    queue.enqueue(
        "incident:INC-3001", "incident", "search.json", json.dumps(json.loads(EXAMPLE.read_text()) | {"id": "INC-3001"})
    )
    return queue


def run(env, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*QUEUE, *args], env=env, capture_output=True, text=True, timeout=120, check=False)


def test_queue_list_shows_every_job_with_its_state_and_what_became_of_it(env, queue):
    listed = run(env, "list", "--json")
    rows = json.loads(listed.stdout)
    assert (listed.returncode, listed.stderr) == (0, "")
    assert [(r["state"], r["name"], r["attempts"], r["incident_id"]) for r in rows] == [
        ("pending", "search.json", 0, None),
        ("done", "payments.json", 1, "INC-2031"),
        ("failed", "broken.json", 1, None),
    ]
    assert rows[2]["error"].startswith("broken.json: ")
    failed = run(env, "list", "--state", "failed")
    [line] = failed.stdout.splitlines()
    assert line.startswith(f"{rows[2]['job']}  failed  1 attempt  broken.json  error: broken.json: ")


def test_queue_retry_puts_a_failed_job_back_to_be_drafted_and_refuses_one_that_is_not_failed(env, queue):
    [failed] = queue.jobs("failed")
    [done] = queue.jobs("done")
    [waiting] = queue.pending()
    retried = run(env, "retry", failed.id[:8])
    assert (retried.returncode, retried.stdout, retried.stderr) == (0, f"{failed.id}: broken.json queued again\n", "")
    assert ([j.id for j in queue.jobs("failed")], [j.id for j in queue.pending()]) == ([], [failed.id, waiting.id])
    assert queue.pending()[0].attempts == 0
    refused = run(env, "retry", done.id)
    assert (refused.returncode, refused.stdout) == (2, "")
    assert refused.stderr == f"pm-agent: error: job {done.id} is done, not failed: only failed jobs are retried\n"
    unknown = run(env, "retry", "abcdef12")
    assert unknown.stderr == "pm-agent: error: job abcdef12: no such job in the queue\n"


def test_queue_purge_removes_finished_jobs_and_never_pending_ones(env, queue):
    kept = run(env, "purge")  # by default only jobs finished more than a week ago
    assert (kept.returncode, kept.stdout) == (0, "purged 0 jobs\n")
    purged = run(env, "purge", "--older-than", "0")
    assert (purged.returncode, purged.stdout) == (0, "purged 1 job\n")
    assert [len(queue.jobs(state)) for state in ("pending", "done", "failed")] == [1, 0, 1]
    everything = run(env, "purge", "--older-than", "0", "--failed")
    assert everything.stdout == "purged 1 job\n"
    assert [len(queue.jobs(state)) for state in ("pending", "done", "failed")] == [1, 0, 0]


def test_queue_json_output_is_one_document_even_when_there_is_nothing_to_show(env, queue):
    """An array for ``list`` (``[]`` when empty), an object for ``retry`` and ``purge``, like every other --json."""
    [failed] = queue.jobs("failed")
    [done] = queue.jobs("done")
    assert json.loads(run(env, "list", "--state", "failed", "--json").stdout)[0]["job"] == failed.id
    retried = json.loads(run(env, "retry", "--all", "--json").stdout)
    assert [(job["job"], job["state"]) for job in retried["retried"]] == [(failed.id, "pending")]
    assert run(env, "list", "--state", "failed", "--json").stdout == "[]\n"
    assert json.loads(run(env, "retry", "--all", "--json").stdout) == {"retried": []}
    kept = json.loads(run(env, "purge", "--json").stdout)
    purged = json.loads(run(env, "purge", "--older-than", "0", "--json").stdout)
    assert (kept, [job["job"] for job in purged["purged"]]) == ({"purged": []}, [done.id])
