"""The HTTP server under load (issue 8): 200 concurrent tool calls and webhook deliveries, none failed, none lost.

The load test itself is bench/bench_load.py: a real ``pm-agent serve --transport http`` subprocess
on loopback, real MCP client sessions, real signed webhooks. Its latency figures are printed
(``pytest -s``), never asserted. The checks it makes are tested here too, on answers made wrong
on purpose, so a check that passes everything would be caught.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from mcp.types import CallToolResult, TextContent

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))

from bench_load import (
    LoadConfig,
    Outcome,
    check_call,
    check_deliveries,
    check_drafts,
    report_text,
    run_load,
)
from load_workload import build_workload, expected_result, offline_service

ISSUE_SIZE = 200


def test_two_hundred_concurrent_tool_calls_and_webhook_deliveries_fail_nothing_and_lose_nothing():
    report = run_load(LoadConfig(total=ISSUE_SIZE, concurrency=ISSUE_SIZE, timeout_s=120, drain_timeout_s=120))
    print("\n" + report_text(report))
    delivered = build_workload(ISSUE_SIZE, "any", "secret").incidents
    assert (report.errors, report.lost, report.unexpected) == ([], [], [])
    assert report.drafted == sorted(delivered)
    assert report.stored == len(delivered) == 80
    assert [(row.kind, row.count, row.errors) for row in report.kinds] == [
        ("mcp check_actions", 25, 0),
        ("mcp draft_postmortem", 25, 0),
        ("mcp rewrite_blameless", 25, 0),
        ("mcp score_postmortem", 25, 0),
        ("webhook incident", 40, 0),
        ("webhook incident (repeat)", 10, 0),
        ("webhook pagerduty", 40, 0),
        ("webhook pagerduty (repeat)", 10, 0),
        ("all requests", 200, 0),
    ]


def test_a_tool_result_for_another_input_or_an_error_result_is_reported():
    service, work = offline_service(), build_workload(8, "a", "b")
    score = work.calls[0]
    structured, text = expected_result(service, score, {})
    right = CallToolResult(content=[TextContent(type="text", text=text)], structured_content=structured)
    other = structured | {"weighted_average": structured["weighted_average"] + 1}
    wrong = CallToolResult(content=[TextContent(type="text", text=text)], structured_content=other)
    failed = CallToolResult(content=[TextContent(type="text", text="boom")], is_error=True)
    assert check_call(Outcome(score, 0.1, answer=right), service, set()) is None
    assert check_call(Outcome(score, 0.1, answer=wrong), service, set()) == (
        f"mcp score_postmortem #0: structured content differs at $.weighted_average: "
        f"got '{other['weighted_average']}', expected '{structured['weighted_average']}'"
    )
    assert (
        check_call(Outcome(score, 0.1, answer=failed), service, set()) == "mcp score_postmortem #0: error result: boom"
    )


def test_an_incident_queued_twice_or_a_refused_delivery_is_reported():
    first, second = build_workload(4, "a", "b").deliveries
    answers = [
        Outcome(first, 0.1, 202, {"status": "queued", "job": "j1"}),
        Outcome(first, 0.1, 202, {"status": "queued", "job": "j1"}),
        Outcome(second, 0.1, 401, {"error": "invalid_signature"}),
    ]
    assert check_deliveries(answers) == [
        f'webhook incident of {second.incident_id}: 401 {{"error": "invalid_signature"}}',
        (
            f"{first.incident_id}: 2 deliveries answered ['queued', 'queued'] with 1 job id(s); "
            "expected one 'queued', the rest 'duplicate', one job"
        ),
    ]


def test_a_missing_draft_a_stray_file_and_a_failed_job_are_reported(tmp_path):
    incidents = {"INC-A": "Title A", "INC-B": "Title B"}
    (tmp_path / "drafts").mkdir()
    (tmp_path / "drafts" / "INC-A.json").write_text(json.dumps({"incident_id": "INC-A", "title": "Title A"}))
    (tmp_path / "drafts" / "INC-A.md").write_text("# Postmortem: Title A\n")
    (tmp_path / "drafts" / "INC-C.md").write_text("# Postmortem: never delivered\n")
    for state in ("pending", "done", "failed"):
        (tmp_path / "queue" / state).mkdir(parents=True)
    job = {
        "name": "webhook-INC-B",
        "error": "ValueError: boom",
        "created_at": "2026-01-01T00:00:00+00:00",
        "finished_at": "2026-01-01T00:00:02+00:00",
    }
    (tmp_path / "queue" / "failed" / "b.json").write_text(json.dumps(job))
    (tmp_path / "queue" / "done" / "a.json").write_text(json.dumps({**job, "error": None}))
    errors, lost, unexpected, waits = check_drafts(tmp_path, incidents)
    assert errors == ["job webhook-INC-B left failed: ValueError: boom", "1 jobs done for 2 distinct incidents"]
    assert (lost, unexpected, waits) == (["INC-B"], ["INC-C.md"], [2.0])
