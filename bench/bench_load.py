"""Load test of ``pm-agent serve --transport http`` on loopback (issue 8): concurrent tool calls and webhooks.

    python bench/bench_load.py [--total 200] [--concurrency 200] [--sessions 8]
                               [--timeout 120] [--drain-timeout 120] [--embedder lexical|minilm] [--json]

Starts the real server as a subprocess on a free loopback port, with temporary memory, draft and
queue folders, webhook secrets and a bearer token; opens ``--sessions`` MCP client sessions over
streamable HTTP; then fires ``--total`` requests at once, at most ``--concurrency`` in flight:
half MCP tool calls, half signed webhook deliveries of distinct incidents with some repeats (see
load_workload.py). It waits (bounded) until the drafting queue is drained, stops the server, and
checks:

- zero errors: every tool call returned a result that is not an error and equals, structured
  content and text, what the same functions give for its input; every delivery got 202, one
  ``queued`` per incident and ``duplicate`` for its repeats, all naming the same job; the server
  logged no warning, error or traceback;
- nothing lost: the drafts folder holds exactly ``<id>.md`` and ``<id>.json`` for each distinct
  delivered incident (none for the repeats), each job is recorded done, and the memory, opened
  after the server stopped, holds one postmortem per delivered incident.

It reports p50/p95/max latency per kind of request (client side, send to answer), how long the
server took from queueing to drafting, and the wall times, as text or ``--json``. Exit status 1
when anything was wrong or lost.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import math
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import httpx2
from load_workload import (
    Delivery,
    ToolCall,
    Workload,
    build_workload,
    expected_result,
    offline_service,
)
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from pydantic import BaseModel

SERVE = [sys.executable, "-m", "pm_agent", "serve", "--transport", "http", "--host", "127.0.0.1"]
READY_MARKER = "Uvicorn running on"
START_TIMEOUT_S = 30.0
LOG_PROBLEMS = (" WARNING ", " ERROR ", " CRITICAL ", "Traceback")


@dataclass(frozen=True)
class LoadConfig:
    total: int = 200
    concurrency: int = 200
    sessions: int = 8
    timeout_s: float = 120.0
    drain_timeout_s: float = 120.0
    embedder: str = "lexical"


class KindStats(BaseModel):
    kind: str
    count: int
    errors: int
    p50_ms: float
    p95_ms: float
    max_ms: float


class LoadReport(BaseModel):
    total: int
    concurrency: int
    sessions: int
    embedder: str
    kinds: list[KindStats]
    queued_to_drafted: KindStats | None
    start_s: float
    fire_s: float
    drain_s: float
    wall_s: float
    delivered_incidents: int
    drafted: list[str]
    stored: int
    errors: list[str]
    lost: list[str]
    unexpected: list[str]

    @property
    def ok(self) -> bool:
        return not (self.errors or self.lost or self.unexpected)


@dataclass
class Outcome:
    """What one request got: its latency, and the tool result or the webhook's status and answer."""

    request: ToolCall | Delivery
    seconds: float | None = None
    status: int | None = None
    answer: Any = None
    failure: str | None = None


# --- the server ----------------------------------------------------------------------------
@dataclass
class Server:
    process: subprocess.Popen
    url: str
    lines: list[str] = field(default_factory=list)
    ready: threading.Event = field(default_factory=threading.Event)

    def read_stderr(self) -> None:
        for line in self.process.stderr:
            self.lines.append(line)
            if READY_MARKER in line:
                self.ready.set()
        self.ready.set()

    def problems(self) -> list[str]:
        return [line.rstrip() for line in self.lines if any(mark in line for mark in LOG_PROBLEMS)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_env(state: Path, config: LoadConfig, secret: dict[str, str]) -> dict[str, str]:
    """The caller's environment without pm-agent settings or API keys, plus this run's folders and secrets."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PM_AGENT_") and k != "ANTHROPIC_API_KEY"}
    return env | {
        "PM_AGENT_MEMORY_DIR": str(state / "memory"),
        "PM_AGENT_OUTPUT_DIR": str(state / "drafts"),
        "PM_AGENT_QUEUE_DIR": str(state / "queue"),
        "PM_AGENT_EMBEDDER": config.embedder,
        "PM_AGENT_BACKEND": "offline",
        "PM_AGENT_HTTP_TOKEN": secret["token"],
        "PM_AGENT_PAGERDUTY_SECRET": secret["pagerduty"],
        "PM_AGENT_WEBHOOK_SECRET": secret["webhook"],
    }


@contextlib.contextmanager
def serving(state: Path, config: LoadConfig, secret: dict[str, str]) -> Iterator[Server]:
    """``pm-agent serve --transport http`` on a free loopback port; stopped (SIGTERM, as a user would) on exit."""
    port = free_port()
    process = subprocess.Popen(
        [*SERVE, "--port", str(port)],
        env=server_env(state, config, secret),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    server = Server(process, f"http://127.0.0.1:{port}")
    reader = threading.Thread(target=server.read_stderr, daemon=True)
    reader.start()
    try:
        if not server.ready.wait(START_TIMEOUT_S) or process.poll() is not None:
            raise RuntimeError("pm-agent serve did not start:\n" + "".join(server.lines))
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            server.lines.append("ERROR bench: the server did not stop within 60 s of SIGTERM and was killed\n")
        reader.join(timeout=10)
        process.stderr.close()


# --- firing --------------------------------------------------------------------------------
async def fire(server: Server, token: str, work: Workload, config: LoadConfig) -> list[Outcome]:
    """Every request at once (at most ``concurrency`` in flight), tool calls spread over the sessions."""
    outcomes = [Outcome(request) for request in work.requests()]
    limiter = anyio.Semaphore(config.concurrency)
    limits = httpx2.Limits(max_connections=config.concurrency + config.sessions, max_keepalive_connections=64)
    auth = {"Authorization": f"Bearer {token}"}
    async with (
        httpx2.AsyncClient(headers=auth, timeout=config.timeout_s, limits=limits, trust_env=False) as mcp_http,
        httpx2.AsyncClient(timeout=config.timeout_s, limits=limits, trust_env=False) as hook_http,
        contextlib.AsyncExitStack() as stack,
    ):
        sessions = []
        for _ in range(config.sessions):
            transport = streamable_http_client(f"{server.url}/mcp", http_client=mcp_http)
            sessions.append(await stack.enter_async_context(Client(transport, read_timeout_seconds=config.timeout_s)))

        async def one(number: int, outcome: Outcome) -> None:
            async with limiter:
                started = time.perf_counter()
                try:
                    if isinstance(outcome.request, ToolCall):
                        session = sessions[number % len(sessions)]
                        outcome.answer = await session.call_tool(outcome.request.tool, outcome.request.arguments)
                    else:
                        response = await hook_http.post(
                            f"{server.url}/webhooks/{outcome.request.endpoint}",
                            content=outcome.request.body,
                            headers={"Content-Type": "application/json", **outcome.request.headers},
                        )
                        outcome.status, outcome.answer = response.status_code, response.json()
                except Exception as exc:  # any failure is this request's error, not the run's end
                    outcome.failure = f"{type(exc).__name__}: {exc}"
                outcome.seconds = time.perf_counter() - started

        with anyio.move_on_after(config.timeout_s):
            async with anyio.create_task_group() as group:
                for number, outcome in enumerate(outcomes):
                    group.start_soon(one, number, outcome)
    for outcome in outcomes:
        if outcome.seconds is None and outcome.failure is None:
            outcome.failure = f"no answer within {config.timeout_s:g} s"
    return outcomes


def wait_drained(queue: Path, expected: int, timeout_s: float) -> bool:
    """Wait until no job is pending and ``expected`` jobs have finished (done or failed); False on timeout."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        finished = sum(len(list((queue / state).glob("*.json"))) for state in ("done", "failed"))
        if finished >= expected and not list((queue / "pending").glob("*.json")):
            return True
        time.sleep(0.05)
    return False


# --- checking ------------------------------------------------------------------------------
def check_call(outcome: Outcome, service, titles: set[str]) -> str | None:
    """Why a tool call's result is wrong, or None when it is exactly what its input must give."""
    call, result = outcome.request, outcome.answer
    name = f"{call.kind} #{call.index}"
    if outcome.failure:
        return f"{name}: {outcome.failure}"
    if result.is_error:
        return f"{name}: error result: {result.content[0].text if result.content else '(no text)'}"
    structured, text = expected_result(service, call, result.structured_content or {})
    if result.structured_content != structured:
        return f"{name}: structured content differs at {first_difference(result.structured_content, structured)}"
    if [(c.type, getattr(c, "text", None)) for c in result.content] != [("text", text)]:
        return f"{name}: text content differs from the expected {len(text)} characters"
    strangers = {r["title"] for r in structured.get("related_incidents", [])} - titles
    return f"{name}: related incidents that were never delivered: {sorted(strangers)}" if strangers else None


def first_difference(got: Any, want: Any, where: str = "$") -> str:
    if isinstance(got, dict) and isinstance(want, dict):
        for key in sorted(set(got) | set(want)):
            if got.get(key, "<missing>") != want.get(key, "<missing>"):
                return first_difference(got.get(key, "<missing>"), want.get(key, "<missing>"), f"{where}.{key}")
    if isinstance(got, list) and isinstance(want, list) and len(got) == len(want):
        for index, (a, b) in enumerate(zip(got, want, strict=True)):
            if a != b:
                return first_difference(a, b, f"{where}[{index}]")
    return f"{where}: got {str(got)[:80]!r}, expected {str(want)[:80]!r}"


def check_deliveries(outcomes: list[Outcome]) -> list[str]:
    """Every delivery answered 202; per incident one ``queued``, the repeats ``duplicate``, one job id."""
    errors, answers = [], defaultdict(list)
    for outcome in outcomes:
        delivery = outcome.request
        if outcome.failure or outcome.status != 202:
            errors.append(
                f"{delivery.kind} of {delivery.incident_id}: {outcome.failure or outcome.status} "
                f"{json.dumps(outcome.answer)[:160] if outcome.answer else ''}".rstrip()
            )
            continue
        answers[delivery.incident_id].append(outcome.answer)
    jobs: dict[str, str] = {}
    for incident_id, given in answers.items():
        queued = sum(answer.get("status") == "queued" for answer in given)
        ids = {answer.get("job") for answer in given}
        if queued != 1 or len(ids) != 1 or {a.get("status") for a in given} - {"queued", "duplicate"}:
            errors.append(
                f"{incident_id}: {len(given)} deliveries answered {[a.get('status') for a in given]}"
                f" with {len(ids)} job id(s); expected one 'queued', the rest 'duplicate', one job"
            )
        for job in ids:
            if job in jobs:
                errors.append(f"{incident_id} and {jobs[job]} were given the same job {job}")
            jobs[job] = incident_id
    return errors


def check_drafts(state: Path, incidents: dict[str, str]) -> tuple[list[str], list[str], list[str], list[float]]:
    """Errors, lost incident ids, unexpected draft files, and each job's seconds from queued to drafted."""
    drafts = state / "drafts"
    present = {path.name for path in drafts.iterdir()} if drafts.is_dir() else set()
    wanted = {f"{ident}{suffix}" for ident in incidents for suffix in (".md", ".json")}
    lost = sorted({name.rsplit(".", 1)[0] for name in wanted - present})
    errors = []
    for ident, title in sorted(incidents.items()):
        if ident in lost:
            continue
        draft = json.loads((drafts / f"{ident}.json").read_text(encoding="utf-8"))
        heading = (drafts / f"{ident}.md").read_text(encoding="utf-8").splitlines()[0]
        if (draft["incident_id"], draft["title"], heading) != (ident, title, f"# Postmortem: {title}"):
            errors.append(f"draft {ident}: is about {draft['incident_id']!r} {draft['title']!r}, not {title!r}")
    queue = state / "queue"
    for state_name in ("pending", "failed"):
        for path in sorted((queue / state_name).glob("*.json")) if queue.is_dir() else []:
            job = json.loads(path.read_text(encoding="utf-8"))
            errors.append(f"job {job['name']} left {state_name}: {job.get('error') or 'never drafted'}")
    done = (
        [json.loads(p.read_text(encoding="utf-8")) for p in (queue / "done").glob("*.json")] if queue.is_dir() else []
    )
    if len(done) != len(incidents):
        errors.append(f"{len(done)} jobs done for {len(incidents)} distinct incidents")
    waits = [
        (dt.datetime.fromisoformat(j["finished_at"]) - dt.datetime.fromisoformat(j["created_at"])).total_seconds()
        for j in done
    ]
    return errors, lost, sorted(present - wanted), waits


def stored_incidents(state: Path, embedder: str) -> list[str]:
    """The incident ids of the postmortems in the memory, read after the server stopped."""
    from pm_agent.memory import Memory
    from pm_agent.settings import Settings

    memory = Memory(Settings(memory_dir=state / "memory", embedder=embedder, chroma_url=None))
    return sorted(record.source_id for record in memory.records() if record.kind == "postmortem")


# --- figures -------------------------------------------------------------------------------
def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (the value at or above ``share`` of the sorted values)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def stats(kind: str, seconds: list[float], errors: int = 0) -> KindStats:
    ms = [s * 1000 for s in seconds] or [0.0]
    return KindStats(
        kind=kind,
        count=len(seconds),
        errors=errors,
        p50_ms=round(percentile(ms, 0.5), 1),
        p95_ms=round(percentile(ms, 0.95), 1),
        max_ms=round(max(ms), 1),
    )


def kind_stats(outcomes: list[Outcome], failed: set[int]) -> list[KindStats]:
    by_kind: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        by_kind[outcome.request.kind].append(outcome)
    rows = [
        stats(kind, [o.seconds for o in group if o.seconds is not None], sum(id(o) in failed for o in group))
        for kind, group in sorted(by_kind.items())
    ]
    everything = [o.seconds for o in outcomes if o.seconds is not None]
    return [*rows, stats("all requests", everything, len(failed))]


# --- one run -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Timings:
    start_s: float
    fire_s: float
    drain_s: float
    wall_s: float


def run_load(config: LoadConfig) -> LoadReport:
    """Start a server, load it, drain its queue, stop it, and check and measure everything."""
    secret = {name: secrets.token_hex(16) for name in ("token", "pagerduty", "webhook")}
    work = build_workload(config.total, secret["pagerduty"], secret["webhook"])
    with tempfile.TemporaryDirectory(prefix="pm-agent-load-") as folder:
        state = Path(folder)
        began = time.perf_counter()
        with serving(state, config, secret) as server, ThreadPoolExecutor(1, "load-check") as checker:
            started = time.perf_counter()
            outcomes = anyio.run(fire, server, secret["token"], work, config)
            fired = time.perf_counter()
            # Checking the answers overlaps the drain: the server drafts in one thread, a core stays free.
            call_check = checker.submit(check_calls, outcomes, set(work.incidents.values()))
            drained = wait_drained(state / "queue", len(work.incidents), config.drain_timeout_s)
            finished = time.perf_counter()
        timings = Timings(
            round(started - began, 2), round(fired - started, 2), round(finished - fired, 2), round(finished - began, 2)
        )
        call_errors, failed = call_check.result()
        if not drained:
            call_errors.append(f"the queue was not drained within {config.drain_timeout_s:g} s")
        return assess(
            state,
            config,
            work,
            outcomes,
            call_errors + [f"server log: {p}" for p in server.problems()],
            failed,
            timings,
        )


def check_calls(outcomes: list[Outcome], titles: set[str]) -> tuple[list[str], set[int]]:
    """The errors of the tool calls, and which outcomes (by ``id``) they were; then loads the memory's
    store library, so opening the memory afterwards does not pay for its import."""
    service, errors, failed = offline_service(), [], set()
    for outcome in outcomes:
        if isinstance(outcome.request, ToolCall) and (problem := check_call(outcome, service, titles)):
            errors.append(problem)
            failed.add(id(outcome))
    import chromadb  # noqa: F401 - only its import time is wanted here

    return errors, failed


def assess(
    state: Path,
    config: LoadConfig,
    work: Workload,
    outcomes: list[Outcome],
    errors: list[str],
    failed: set[int],
    timings: Timings,
) -> LoadReport:
    """The report: deliveries, drafts, queue and memory checked after the server stopped."""
    incidents = work.incidents
    deliveries = [o for o in outcomes if isinstance(o.request, Delivery)]
    errors = check_deliveries(deliveries) + errors
    failed |= {id(o) for o in deliveries if o.failure or o.status != 202}
    draft_errors, lost, unexpected, waits = check_drafts(state, incidents)
    stored = stored_incidents(state, config.embedder)
    if len(stored) != len(set(stored)) or set(stored) - set(incidents):
        errors.append(f"the memory holds {len(stored)} postmortems for {len(incidents)} delivered incidents")
    lost = sorted(set(lost) | {f"{ident} (not in the memory)" for ident in set(incidents) - set(stored)})
    drafted = sorted(path.stem for path in (state / "drafts").glob("*.json"))
    return LoadReport(
        total=config.total,
        concurrency=config.concurrency,
        sessions=config.sessions,
        embedder=config.embedder,
        kinds=kind_stats(outcomes, failed),
        queued_to_drafted=stats("queued -> drafted", waits) if waits else None,
        **timings.__dict__,
        delivered_incidents=len(incidents),
        drafted=drafted,
        stored=len(stored),
        errors=errors + draft_errors,
        lost=lost,
        unexpected=unexpected,
    )


def report_text(report: LoadReport) -> str:
    calls = sum(k.count for k in report.kinds if k.kind.startswith("mcp "))
    hooks = sum(k.count for k in report.kinds if k.kind.startswith("webhook "))
    lines = [
        (
            f"pm-agent HTTP load test: {report.total} requests at once (concurrency {report.concurrency}): "
            f"{calls} MCP tool calls over {report.sessions} sessions, {hooks} webhook deliveries of "
            f"{report.delivered_incidents} incidents (the rest repeats); embedder {report.embedder}"
        ),
        "",
        f"{'kind':<34}{'n':>5}{'errors':>8}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}",
    ]
    rows = [*report.kinds, *([report.queued_to_drafted] if report.queued_to_drafted else [])]
    for row in rows:
        lines.append(
            f"{row.kind:<34}{row.count:>5}{row.errors:>8}{row.p50_ms:>10.1f}{row.p95_ms:>10.1f}{row.max_ms:>10.1f}"
        )
    lines += [
        "",
        (
            f"wall: server start {report.start_s:.2f} s, requests {report.fire_s:.2f} s (sessions opened included), "
            f"queue drained {report.drain_s:.2f} s after the last answer; {report.wall_s:.2f} s in all"
        ),
        (
            f"errors {len(report.errors)}, lost {len(report.lost)}, unexpected drafts {len(report.unexpected)}; "
            f"drafts {len(report.drafted)} of {report.delivered_incidents}, in the memory {report.stored}"
        ),
    ]
    lines += [f"  error: {e}" for e in report.errors[:20]] + [f"  lost: {i}" for i in report.lost[:20]]
    lines += [f"  unexpected: {name}" for name in report.unexpected[:20]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--total", type=int, default=200, help="requests in all, half tool calls (default 200)")
    parser.add_argument("--concurrency", type=int, default=200, help="most requests in flight (default 200)")
    parser.add_argument("--sessions", type=int, default=8, help="MCP client sessions the calls share (default 8)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds for all the requests (default 120)")
    parser.add_argument("--drain-timeout", type=float, default=120.0, help="seconds to drain the queue (default 120)")
    parser.add_argument("--embedder", choices=["lexical", "minilm"], default="lexical")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    if args.total < 2 or args.concurrency < 1 or args.sessions < 1:
        parser.error("--total must be at least 2, --concurrency and --sessions at least 1")
    config = LoadConfig(args.total, args.concurrency, args.sessions, args.timeout, args.drain_timeout, args.embedder)
    report = run_load(config)
    print(report.model_dump_json(indent=2) if args.json else report_text(report))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
