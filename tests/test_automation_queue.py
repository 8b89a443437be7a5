"""The durable queue and the drafting worker: jobs survive a restart, duplicates add nothing, failures are kept."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import pytest
from automation_support import FakeClock, pagerduty_event
from conftest import EXAMPLE

from pm_agent.automation.queue import MAX_ATTEMPTS, RETRY_BASE_S, JobQueue, job_id
from pm_agent.automation.worker import Worker
from pm_agent.service import PostmortemService
from pm_agent.settings import Settings
from pm_agent.sources.pagerduty_event import read_event

INCIDENT_TEXT = EXAMPLE.read_text()


@pytest.fixture
def service(tmp_path, monkeypatch):
    monkeypatch.setenv("PM_AGENT_EMBEDDER", "lexical")
    monkeypatch.setenv("PM_AGENT_QUEUE_DIR", str(tmp_path / "queue"))
    return PostmortemService(Settings())


def files_in(folder):
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def test_a_job_enqueued_before_a_crash_is_still_pending_in_a_new_queue_and_drafted_once(service):
    root = service.settings.queue_dir
    first = JobQueue(root).enqueue("incident:INC-2031", "incident", "payments-outage.json", INCIDENT_TEXT)
    # the process dies here; a new one opens the same folder
    reopened = JobQueue(root)
    assert [job.id for job in reopened.pending()] == [first.job.id]
    results = Worker(reopened, service).run_pending()
    assert [(job.state, job.incident_id, job.error) for job in results] == [("done", "INC-2031", None)]
    assert files_in(service.settings.output_dir) == ["INC-2031.json", "INC-2031.md"]
    assert Worker(JobQueue(root), service).run_pending() == []
    assert files_in(root / "pending") == [] and files_in(root / "done") == [f"{first.job.id}.json"]


def test_the_same_event_delivered_twice_is_one_job_and_one_draft(service):
    queue = JobQueue(service.settings.queue_dir)
    text = json.dumps(read_event(pagerduty_event()).incident)
    first = queue.enqueue("pagerduty:01DEN5Q2X9ZR4A7G8M3KTB6PW1", "pagerduty", "pagerduty-1", text)
    again = queue.enqueue("pagerduty:01DEN5Q2X9ZR4A7G8M3KTB6PW1", "pagerduty", "pagerduty-1", text)
    assert (first.duplicate, again.duplicate, again.job.id) == (False, True, first.job.id)
    Worker(queue, service).run_pending()
    after_drafting = queue.enqueue("pagerduty:01DEN5Q2X9ZR4A7G8M3KTB6PW1", "pagerduty", "pagerduty-1", text)
    assert (after_drafting.duplicate, after_drafting.job.state) == (True, "done")
    assert Worker(queue, service).run_pending() == []
    assert files_in(service.settings.output_dir) == ["Q2W8RT5YU1IOP3.json", "Q2W8RT5YU1IOP3.md"]


def test_a_draft_is_written_as_markdown_and_json_and_stored_in_the_memory(service):
    queue = JobQueue(service.settings.queue_dir)
    queue.enqueue("incident:INC-2031", "incident", "payments-outage.json", INCIDENT_TEXT)
    [job] = Worker(queue, service).run_pending()
    out = service.settings.output_dir
    expected = service.draft(service.load_text(INCIDENT_TEXT, name="payments-outage.json"))
    assert job.outputs == [str((out / "INC-2031.md").resolve()), str((out / "INC-2031.json").resolve())]
    assert json.loads((out / "INC-2031.json").read_text()) == json.loads(service.render(expected, "json"))
    assert (out / "INC-2031.md").read_text() == service.render(expected)
    stored = service.with_memory(lambda memory: memory.get_postmortem("INC-2031"))
    assert (stored.incident_id, stored.title) == ("INC-2031", expected.title)
    assert [a.title for a in stored.action_items] == [a.title for a in expected.action_items]


def test_an_incident_that_cannot_be_read_fails_with_its_error_kept_and_is_not_retried(service):
    queue = JobQueue(service.settings.queue_dir)
    queued = queue.enqueue("sha256:abc", "incident", "webhook-broken", '{"title": "x", "events": []}')
    [job] = Worker(queue, service).run_pending()
    assert (job.state, job.attempts, job.outputs) == ("failed", 1, [])
    assert job.error.startswith("webhook-broken: ")
    assert queue.get(queued.job.id) == job
    assert Worker(queue, service).run_pending() == []
    assert files_in(service.settings.output_dir) == []


def test_a_job_whose_drafting_never_finished_is_given_up_after_the_attempt_limit(service):
    queue = JobQueue(service.settings.queue_dir)
    job = queue.enqueue("incident:INC-2031", "incident", "payments-outage.json", INCIDENT_TEXT).job
    for _ in range(MAX_ATTEMPTS):
        job = queue.start(job)  # each start "killed the process" before the job finished
    [result] = Worker(JobQueue(queue.root), service).run_pending()
    assert (result.state, result.attempts, result.error) == (
        "failed",
        MAX_ATTEMPTS + 1,
        f"gave up after {MAX_ATTEMPTS} attempts; the last stopped its process midway",
    )


def test_a_pending_file_left_by_a_crash_after_the_job_finished_is_not_drafted_again(service):
    queue = JobQueue(service.settings.queue_dir)
    job = queue.enqueue("incident:INC-2031", "incident", "payments-outage.json", INCIDENT_TEXT).job
    [done] = Worker(queue, service).run_pending()
    (queue.root / "pending" / f"{job.id}.json").write_text(job.model_dump_json())  # the crash: both files exist
    assert JobQueue(queue.root).pending() == []
    assert files_in(queue.root / "pending") == []
    assert queue.get(job.id) == done


def test_enqueueing_the_same_key_from_many_threads_creates_one_job(service):
    root = service.settings.queue_dir
    results = []
    barrier = threading.Barrier(8)

    def deliver():
        barrier.wait()
        results.append(JobQueue(root).enqueue("pagerduty:evt-1", "pagerduty", "pagerduty-evt-1", INCIDENT_TEXT))

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.duplicate for r in results) == [False] + [True] * 7
    assert files_in(root / "pending") == [f"{results[0].job.id}.json"]


def test_the_queue_folder_is_made_by_the_first_job_not_by_opening_the_queue(service):
    root = service.settings.queue_dir
    queue = JobQueue(root)
    assert (queue.pending(), queue.jobs("done"), root.exists()) == ([], [], False)
    queue.enqueue("incident:INC-2031", "incident", "payments-outage.json", INCIDENT_TEXT)
    assert files_in(root) == ["claims", "done", "failed", "pending"]


def test_job_ids_are_hex_hashes_so_a_key_never_names_a_path(service):
    queue = JobQueue(service.settings.queue_dir)
    job = queue.enqueue("incident:../../etc/passwd", "incident", "x", INCIDENT_TEXT).job
    assert job.id == job_id("incident:../../etc/passwd", job.content) and len(job.id) == 32
    assert files_in(queue.root / "pending") == [f"{job.id}.json"]
    assert queue.get("../pending/" + job.id) is None


def test_a_hostile_incident_id_gets_a_draft_inside_the_output_folder(service):
    hostile = json.loads(INCIDENT_TEXT) | {"id": "../../outside/INC-1"}
    queue = JobQueue(service.settings.queue_dir)
    queue.enqueue("incident:hostile", "incident", "hostile.json", json.dumps(hostile))
    [job] = Worker(queue, service).run_pending()
    out = service.settings.output_dir
    assert job.state == "done"
    assert [name.rsplit("-", 1)[0] for name in files_in(out)] == ["outside-INC-1", "outside-INC-1"]
    assert not (out.parent / "outside").exists()


def test_the_background_worker_drafts_a_job_it_is_told_about_and_stops_cleanly(service):
    queue = JobQueue(service.settings.queue_dir)
    drafted = threading.Event()
    worker = Worker(queue, service, on_result=lambda job: drafted.set())
    worker.start()
    queue.enqueue("incident:INC-2031", "incident", "payments-outage.json", INCIDENT_TEXT)
    worker.notify()
    assert drafted.wait(60)
    assert worker.stop(timeout=30) is True
    assert files_in(service.settings.output_dir) == ["INC-2031.json", "INC-2031.md"]


def test_a_secret_in_a_delivered_incident_never_rests_on_disk_in_the_queue(service, caplog):
    token = "gh" + "p_" + "Q" * 36
    document = json.loads(INCIDENT_TEXT)
    document["events"][0]["text"] = f"deploy bot used {token} at 14:02 to roll out v2.3.1"
    queue = JobQueue(service.settings.queue_dir)
    with caplog.at_level("WARNING", logger="pm_agent.automation"):
        queued = queue.enqueue("incident:INC-2031", "incident", "webhook-INC-2031", json.dumps(document))
    on_disk = "".join(path.read_text() for path in service.settings.queue_dir.rglob("*.json"))
    assert token not in on_disk
    assert json.loads(queued.job.text)["events"][0]["text"] == (
        "deploy bot used [REDACTED:github-token] at 14:02 to roll out v2.3.1"
    )
    assert caplog.messages == ["redacted from webhook-INC-2031 before queueing: 1 github-token"]


# --- durability, claims between processes, retries, versions ---------------------------------


def test_each_queue_folder_is_fsynced_after_a_job_file_is_created_or_moved_into_it(service, monkeypatch):
    root = service.settings.queue_dir
    synced_while_present: list[tuple[str, str]] = []
    real_fsync = os.fsync

    def spying_fsync(fd):
        """Note each queue folder fsynced, with the files it held at that moment."""
        for folder in (root / "pending", root / "done"):
            if folder.exists() and os.path.samestat(os.fstat(fd), folder.stat()):
                synced_while_present.append((folder.name, ",".join(files_in(folder))))
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", spying_fsync)
    queue = JobQueue(root)
    job = queue.enqueue("incident:INC-2031", "incident", "payments-outage.json", INCIDENT_TEXT).job
    assert ("pending", f"{job.id}.json") in synced_while_present
    Worker(queue, service).run_pending()
    assert ("done", f"{job.id}.json") in synced_while_present


CLAIMING_PROCESS = """
import json, sys, time
from pathlib import Path
from pm_agent.automation.queue import JobQueue
from pm_agent.automation.worker import Worker
from pm_agent.service import PostmortemService
from pm_agent.settings import Settings

root, ready, go = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
service = PostmortemService(Settings())
worker = Worker(JobQueue(root), service)
ready.touch()
while not go.exists():
    time.sleep(0.01)
print(json.dumps([[job.id, job.state, job.error] for job in worker.run_pending()]))
"""


def test_two_processes_draining_one_queue_draft_each_job_exactly_once(service, tmp_path):
    root = service.settings.queue_dir
    queue = JobQueue(root)
    document = json.loads(INCIDENT_TEXT)
    queued = sorted(
        queue.enqueue(
            f"incident:INC-{n}", "incident", f"inc-{n}.json", json.dumps(document | {"id": f"INC-{n}"})
        ).job.id
        for n in range(16)
    )
    go = tmp_path / "go"
    processes = [  # each its own memory: this is about the queue, not two writers of one embedded store
        subprocess.Popen(
            [sys.executable, "-c", CLAIMING_PROCESS, str(root), str(tmp_path / f"ready-{n}"), str(go)],
            env={
                **os.environ,
                "PYTHONPATH": os.pathsep.join(sys.path),
                "PM_AGENT_MEMORY_DIR": str(tmp_path / f"memory-{n}"),
            },
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(2)
    ]
    deadline = time.monotonic() + 120
    while not all((tmp_path / f"ready-{n}").exists() for n in range(2)):
        assert time.monotonic() < deadline and all(p.poll() is None for p in processes), "a process did not start"
        time.sleep(0.05)
    go.touch()
    outputs = [process.communicate(timeout=240) for process in processes]
    assert [process.returncode for process in processes] == [0, 0], [err for _, err in outputs]
    outcomes = [outcome for out, _ in outputs for outcome in json.loads(out)]
    assert sorted(ident for ident, _, _ in outcomes) == queued
    assert {(state, error) for _, state, error in outcomes} == {("done", None)}
    assert sorted(job.id for job in queue.jobs("done")) == queued


def test_a_job_that_fails_for_a_passing_reason_is_retried_with_growing_waits_then_parked_as_failed(service, tmp_path):
    clock = FakeClock()
    queue = JobQueue(service.settings.queue_dir, clock=clock)
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the output folder should be")
    worker = Worker(queue, service, output_dir=blocked / "drafts")
    job = queue.enqueue("incident:INC-2031", "incident", "payments-outage.json", INCIDENT_TEXT).job
    waits = []
    for attempt in range(1, MAX_ATTEMPTS):
        [retrying] = worker.run_pending()
        assert (retrying.state, retrying.attempts) == ("pending", attempt)
        assert retrying.error.startswith("PM_AGENT_OUTPUT_DIR=")
        waits.append((retrying.not_before - clock.now).total_seconds())
        assert worker.run_pending() == []  # not due yet
        clock.advance(waits[-1])
    assert waits == [RETRY_BASE_S * 2**n for n in range(MAX_ATTEMPTS - 1)]
    [parked] = worker.run_pending()
    assert (parked.state, parked.attempts) == ("failed", MAX_ATTEMPTS)
    assert [j.id for j in queue.jobs("failed")] == [job.id] and queue.jobs("pending") == []


def test_a_retried_job_is_drafted_once_the_passing_reason_is_gone(service, tmp_path):
    clock = FakeClock()
    queue = JobQueue(service.settings.queue_dir, clock=clock)
    blocked = tmp_path / "drafts"
    blocked.write_text("in the way")
    worker = Worker(queue, service, output_dir=blocked)
    queue.enqueue("incident:INC-2031", "incident", "payments-outage.json", INCIDENT_TEXT)
    [first] = worker.run_pending()
    blocked.unlink()
    clock.advance(RETRY_BASE_S)
    [second] = worker.run_pending()
    assert (first.state, second.state, second.attempts, second.error) == ("pending", "done", 2, None)
    assert files_in(blocked) == ["INC-2031.json", "INC-2031.md"]


def test_an_incident_resent_with_the_same_id_and_new_content_is_a_new_version_and_drafted_again(service):
    queue = JobQueue(service.settings.queue_dir)
    document = json.loads(INCIDENT_TEXT)
    first = queue.enqueue("incident:INC-2031", "incident", "webhook-INC-2031", json.dumps(document))
    Worker(queue, service).run_pending()
    same = queue.enqueue("incident:INC-2031", "incident", "webhook-INC-2031", json.dumps(document))
    changed = json.dumps(document | {"title": "Payments outage: card authorisations timing out"})
    second = queue.enqueue("incident:INC-2031", "incident", "webhook-INC-2031", changed)
    assert (same.duplicate, same.job.id, same.job.state) == (True, first.job.id, "done")
    assert (second.duplicate, second.job.state) == (False, "pending") and second.job.id != first.job.id
    [redrafted] = Worker(queue, service).run_pending()
    assert redrafted.id == second.job.id
    draft = json.loads((service.settings.output_dir / "INC-2031.json").read_text())
    assert draft["title"] == "Payments outage: card authorisations timing out"


def test_the_raw_incident_id_is_in_no_queue_file_name_and_not_in_the_job_key(service):
    raw = "INC 7/../customer Jane's card 4111"
    queue = JobQueue(service.settings.queue_dir)
    job = queue.enqueue(f"incident:{raw}", "incident", "webhook", INCIDENT_TEXT).job
    names = [path.name for path in queue.root.rglob("*")]
    assert all(raw not in name and "INC" not in name for name in names)
    assert raw not in job.key and len(job.key) == 64
    assert raw not in (queue.root / "pending" / f"{job.id}.json").read_text()


def test_a_queue_folder_from_before_claims_existed_is_still_drafted(service):
    root = service.settings.queue_dir
    queue = JobQueue(root)
    job = queue.enqueue("incident:INC-2031", "incident", "payments-outage.json", INCIDENT_TEXT).job
    (root / "claims").rmdir()
    [result] = Worker(JobQueue(root), service).run_pending()
    assert (result.id, result.state) == (job.id, "done")
