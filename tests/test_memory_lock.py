"""One process at a time in an embedded memory: a second one waits its turn, or is told to use a Chroma server."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from pm_agent.cli import main
from pm_agent.memory import store_lock
from pm_agent.memory.store_lock import StoreLock

PM_AGENT = [sys.executable, "-m", "pm_agent"]
TIMEOUT = 300
HUNG_S = 30


@pytest.fixture
def env(tmp_path):
    base = {key: value for key, value in os.environ.items() if not key.startswith("PM_AGENT_")}
    return base | {"PM_AGENT_MEMORY_DIR": str(tmp_path / "memory"), "PM_AGENT_EMBEDDER": "lexical"}


def invented_rows(path, prefix: str, count: int) -> str:
    words = ["database", "timeout", "replica", "cache", "deploy", "config", "queue", "disk", "certificate", "dns"]
    with path.open("w", encoding="utf-8") as file:
        for n in range(count):
            picked = [words[(n * 7 + k * 3) % len(words)] for k in range(6)]
            file.write(
                json.dumps(
                    {
                        "id": f"{prefix}-{n}",
                        "title": f"{prefix} {n}: " + " ".join(picked[:3]),
                        "summary": " ".join(picked) + f" in {prefix} batch {n}",
                    }
                )
                + "\n"
            )
    return str(path)


def run(env, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*PM_AGENT, *args], env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False)


def made_empty(tmp_path, env) -> subprocess.CompletedProcess:
    """An empty store, made by ingesting an empty file (reading a memory that does not exist creates none)."""
    (tmp_path / "none.jsonl").write_text("", encoding="utf-8")
    return run(env, "memory", "ingest", str(tmp_path / "none.jsonl"))


def test_two_processes_ingesting_into_one_memory_both_finish_and_leave_it_usable(tmp_path, env):
    # Without the lock, this left the store segfaulting or hanging on the next open in about 1 run of 4.
    first, second = invented_rows(tmp_path / "a.jsonl", "a", 3000), invented_rows(tmp_path / "b.jsonl", "b", 3000)
    assert made_empty(tmp_path, env).returncode == 0  # an empty store: the case that broke

    writers = [
        subprocess.Popen(
            [*PM_AGENT, "memory", "ingest", "--json", path],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for path in (first, second)
    ]
    outputs = [writer.communicate(timeout=TIMEOUT) for writer in writers]
    stats = run(env, "memory", "stats", "--json")
    search = run(env, "memory", "search", "replica timeout", "--k", "1", "--json")

    assert [writer.returncode for writer in writers] == [0, 0]
    assert [json.loads(out)["added"] for out, _ in outputs] == [3000, 3000]
    assert (stats.returncode, json.loads(stats.stdout)["records"]) == (0, 6000)
    assert (search.returncode, len(json.loads(search.stdout))) == (0, 1)


def test_a_second_process_waits_while_the_first_uses_the_memory_then_carries_on(tmp_path, env):
    made_empty(tmp_path, env)
    holder = StoreLock(tmp_path / "memory")
    with holder.held():
        waiting = subprocess.Popen(
            [*PM_AGENT, "memory", "stats", "--json"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        said = waiting.stderr.readline()
    out, _ = waiting.communicate(timeout=TIMEOUT)

    assert (
        said
        == f"pm-agent: WARNING: waiting for another pm-agent process to finish with the memory at {tmp_path / 'memory'}\n"
    )
    assert (waiting.returncode, json.loads(out)["records"]) == (0, 0)


def test_a_memory_still_busy_after_the_wait_is_refused_naming_server_mode(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PM_AGENT_EMBEDDER", "lexical")
    monkeypatch.setenv("PM_AGENT_MEMORY_DIR", str(tmp_path / "memory"))
    monkeypatch.setattr(store_lock, "WAIT_S", 0.3)

    (tmp_path / "none.jsonl").write_text("", encoding="utf-8")
    with StoreLock(tmp_path / "memory").held():  # another open file: flock makes it a second holder
        status = main(["memory", "ingest", str(tmp_path / "none.jsonl")])

    assert status == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"pm-agent: error: the incident memory at {tmp_path / 'memory'} is still in use by another process after 0.3 s; "
        "an embedded memory is used by one process at a time; for several at once, serve it with "
        f"`chroma run --path {tmp_path / 'memory'}` and set PM_AGENT_CHROMA_URL=http://localhost:8000"
    )


def test_the_lock_counts_writes_so_a_process_knows_when_to_open_the_store_again(tmp_path):
    lock = StoreLock(tmp_path / "memory")
    with lock.held():
        assert lock.writes() == 0
        assert lock.count_write() == 1
    with StoreLock(tmp_path / "memory").held() as again:
        assert again.writes() == 1


def test_a_memory_directory_that_cannot_be_written_is_a_clear_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PM_AGENT_EMBEDDER", "lexical")
    monkeypatch.setenv("PM_AGENT_MEMORY_DIR", str(tmp_path / "memory"))
    (tmp_path / "memory").mkdir()
    (tmp_path / "memory" / store_lock.LOCK_FILE).mkdir()  # in the way of the lock file, even for root
    (tmp_path / "none.jsonl").write_text("", encoding="utf-8")

    assert main(["memory", "ingest", str(tmp_path / "none.jsonl")]) == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"pm-agent: error: cannot use the incident memory at {tmp_path / 'memory'}: Is a directory "
        f"({tmp_path / 'memory' / store_lock.LOCK_FILE}); set PM_AGENT_MEMORY_DIR to a directory pm-agent can write"
    )


def test_a_draft_does_not_wait_for_a_long_ingest_it_goes_without_related_incidents(tmp_path, monkeypatch, caplog):
    from memory_support import PLAIN_ROWS, memory_at

    from pm_agent.memory import api
    from pm_agent.memory.records import record_from_plain
    from pm_agent.models import Incident
    from pm_agent.service import PostmortemService
    from pm_agent.settings import Settings

    memory_at(tmp_path / "memory").ingest_records([record_from_plain(row) for row in PLAIN_ROWS])
    monkeypatch.setattr(api, "RELATED_WAIT_S", 0.3)
    service = PostmortemService(Settings(memory_dir=tmp_path / "memory", embedder="lexical"))
    incident = Incident(id="new", title="DNS resolver cache emptied after a TTL change", services=["checkout"])

    with StoreLock(tmp_path / "memory").held():  # a long ingest in another process
        related = service.related_incidents(incident)

    assert related == []
    assert caplog.records[-1].getMessage() == (
        f"related incidents left out: the incident memory at {tmp_path / 'memory'} is still in use by another "
        f"process after 0.3 s; an embedded memory is used by one process at a time; for several at once, serve it "
        f"with `chroma run --path {tmp_path / 'memory'}` and set PM_AGENT_CHROMA_URL=http://localhost:8000"
    )
    assert service.related_incidents(incident)[0].title == PLAIN_ROWS[0]["title"]


def test_a_draft_does_not_wait_for_a_remember_in_its_own_process_that_waits_on_a_busy_memory(
    tmp_path, monkeypatch, caplog
):
    # The server's webhook worker and its MCP tools share one service: a draft must not queue behind the worker's
    # `remember` for the length of another process's ingest.
    import threading

    from memory_support import PLAIN_ROWS, POSTMORTEM, memory_at

    from pm_agent.memory import api
    from pm_agent.memory.records import record_from_plain
    from pm_agent.models import Incident
    from pm_agent.service import PostmortemService
    from pm_agent.settings import Settings

    memory_at(tmp_path / "memory").ingest_records([record_from_plain(row) for row in PLAIN_ROWS])
    monkeypatch.setattr(api, "RELATED_WAIT_S", 0.3)
    service = PostmortemService(Settings(memory_dir=tmp_path / "memory", embedder="lexical"))
    incident = Incident(id="new", title="DNS resolver cache emptied after a TTL change", services=["checkout"])
    holding, remembering, done = threading.Event(), threading.Event(), threading.Event()

    def another_process_ingesting():
        with StoreLock(tmp_path / "memory").held():
            holding.set()
            done.wait(timeout=HUNG_S)  # released by the test; the timeout only ends a hung run

    def worker_remembering():
        service.with_memory(lambda memory: (remembering.set(), memory.remember(POSTMORTEM)))

    holder = threading.Thread(target=another_process_ingesting)
    holder.start()
    holding.wait()
    worker = threading.Thread(target=worker_remembering)
    worker.start()
    remembering.wait()  # the worker holds the service's memory and waits for the file lock
    related = service.related_incidents(incident)
    done.set()
    holder.join()
    worker.join()

    assert related == []
    assert [r.getMessage() for r in caplog.records if r.name == "pm_agent.service"] == [
        f"related incidents left out: the incident memory at {tmp_path / 'memory'} is still in use by another task "
        "of this process after 0.3 s"
    ]
    assert service.related_incidents(incident)[0].title == PLAIN_ROWS[0]["title"]


WITHOUT_FCNTL = """
import asyncio, errno, json, subprocess, sys, types  # the standard library's own msvcrt probes run first
from pathlib import Path

import fcntl as real_fcntl  # a stand-in for Windows' msvcrt.locking, built on the real lock

def locking(fd, mode, nbytes):
    if mode == msvcrt.LK_UNLCK:
        real_fcntl.flock(fd, real_fcntl.LOCK_UN)
        return
    try:
        real_fcntl.flock(fd, real_fcntl.LOCK_EX | real_fcntl.LOCK_NB)
    except BlockingIOError:
        raise PermissionError(errno.EACCES, "Permission denied") from None

msvcrt = types.ModuleType("msvcrt")
msvcrt.LK_NBLCK, msvcrt.LK_UNLCK, msvcrt.locking = 2, 0, locking
sys.modules["fcntl"], sys.modules["msvcrt"] = None, msvcrt

import pm_agent.memory.api
from pm_agent.automation.claims import release, try_claim
from pm_agent.errors import MemoryStoreError
from pm_agent.memory.store_lock import StoreLock

folder = Path(sys.argv[1])
seen = {}
with StoreLock(folder).held():
    try:
        with StoreLock(folder, wait_s=0).held():
            seen["second store lock"] = "held"
    except MemoryStoreError:
        seen["second store lock"] = "refused"
with StoreLock(folder, wait_s=0).held():
    seen["store lock after release"] = "held"
claim = try_claim(folder / "job.lock")
seen["second claim"] = try_claim(folder / "job.lock")
release(claim)
seen["claim after release"] = try_claim(folder / "job.lock") is not None
print(json.dumps(seen))
"""


def test_the_memory_and_the_queue_import_and_lock_without_fcntl_as_on_windows(tmp_path):
    # fcntl hidden and msvcrt given (a stand-in that locks for real): the memory imported fcntl unconditionally.
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_FCNTL, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )

    waited = f"waiting for another pm-agent process to finish with the memory at {tmp_path}\n"
    assert (done.returncode, done.stderr) == (0, waited)
    assert json.loads(done.stdout) == {
        "second store lock": "refused",
        "store lock after release": "held",
        "second claim": None,
        "claim after release": True,
    }
