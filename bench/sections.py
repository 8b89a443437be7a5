"""The speed sections of ``bench/run.py``: server start, drafting, and the analysis engines.

Each function measures and returns plain data (lists of dicts) for the report; none prints a
table. Server start and drafting reuse ``bench_startup`` and ``bench_draft`` as they are.
Timings are medians of several runs; inputs are the project's own eval cases and datasets and
the synthetic timelines of ``bench_draft``.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import bench_draft
import bench_startup
from growth import growth_steps

REPO = Path(__file__).resolve().parents[1]
CASES = REPO / "evals" / "cases"
DATASETS = REPO / "evals" / "datasets"


def median_seconds(call: Callable[[], object], runs: int) -> float:
    """The median wall time of ``runs`` calls (after one untimed warm-up call)."""
    call()
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds)


# --- server start ---------------------------------------------------------------------------


def startup(runs: int) -> dict:
    """``pm-agent serve`` over stdio: seconds to the ``initialize`` and ``tools/list`` replies.

    Interleaved with a bare ``import mcp.server.mcpserver`` (the floor any server on the SDK pays),
    so both see the same machine load; medians of ``runs``.
    """
    with tempfile.TemporaryDirectory() as state:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "PM_AGENT_MEMORY_DIR": os.path.join(state, "memory"),
            "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src"),
        }  # this tree, not an installed one
        bench_startup.one_start(env)  # warm the file and bytecode caches
        starts, floors = [], []
        for _ in range(runs):
            starts.append(bench_startup.one_start(env))
            floors.append(bench_startup.sdk_import_seconds(env))
    return {
        "runs": runs,
        "tools": starts[0][2],
        "initialize_s": round(statistics.median(s[0] for s in starts), 3),
        "tools_list_s": round(statistics.median(s[1] for s in starts), 3),
        "sdk_import_floor_s": round(statistics.median(floors), 3),
        "all_tools_list_s": [round(s[1], 3) for s in starts],
        "typescript_client": typescript_client(runs),
    }


def typescript_client(runs: int) -> dict:
    """The official TypeScript client's spawn + ``initialize`` + ``tools/list`` (``bench_ts_client.py``), or why not."""
    import bench_ts_client

    sdk_dir = Path(os.environ.get("PM_AGENT_TS_SDK_DIR", bench_ts_client.DEFAULT_SDK_DIR))
    if reason := bench_ts_client.missing_prerequisite(sdk_dir):
        return {"skipped": reason}
    result = bench_ts_client.measure(sdk_dir, runs)
    return {
        "sdk": result["sdk"],
        "median_s": round(statistics.median(result["runs"]), 3),
        "all_s": [round(r, 3) for r in result["runs"]],
        "cpu_per_start_s": round(result["cpu_per_start"], 3),
        "tools_list_bytes": result["bytes"],
    }


# --- drafting -------------------------------------------------------------------------------


def drafting(sizes: list[int], runs: int, hostile_size: int) -> dict:
    """Draft + render (with the draft's own rubric score) of synthetic incidents; peak traced memory.
    Then the two hostile inputs of ``hostile_size`` events, read and folded first (at most 3 runs)."""
    rows = []
    for size in sizes:
        median, peak_mb = bench_draft.measure(size, runs)
        rows.append(
            {
                "events": size,
                "median_s": round(median, 4),
                "ms_per_1k_events": round(median / size * 1e6, 2),
                "peak_mb": round(peak_mb, 1),
            }
        )
    return {
        "runs": runs,
        "rows": rows,
        "hostile": bench_draft.measure_hostile(hostile_size, min(runs, 3)),
        "growth": {
            "draft time": growth_steps([(r["events"], r["median_s"]) for r in rows]),
            "peak memory": growth_steps([(r["events"], r["peak_mb"]) for r in rows]),
        },
    }


# --- analysis engines -----------------------------------------------------------------------


def eval_incidents() -> list:
    """The project's eval cases, read as ``pm-agent draft`` reads them."""
    from pm_agent.evals.cases import load_cases
    from pm_agent.service import PostmortemService

    service = PostmortemService()
    return [service.load(list(case.inputs)) for case in load_cases(CASES)]


def blameless_texts() -> list[str]:
    rows = [
        json.loads(line)
        for line in (DATASETS / "blameless.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    return [row["text"] for row in rows]


def per_second(call: Callable[[object], object], inputs: list, runs: int) -> float:
    """Calls per second over ``inputs``: median seconds of ``runs`` passes, turned into a rate."""
    seconds = median_seconds(lambda: [call(item) for item in inputs], runs)
    return len(inputs) / seconds


def engines(runs: int, sizes: list[int]) -> dict:
    """5 Whys, blameless rewrite and rubric scoring: calls per second on typical inputs, then by size.

    Typical inputs: the eval cases' incidents (5 Whys), the blameless dataset's sentences (rewrite),
    the eval cases' drafts as Markdown (rubric). By size: synthetic incidents of ``sizes`` events
    (5 Whys, and the rubric on their drafts) and texts of ``sizes`` // 10 sentences (rewrite).
    """
    from pm_agent.analysis.blameless.rewrite import rewrite_blameless
    from pm_agent.analysis.drafting import draft_postmortem
    from pm_agent.analysis.rubric.scorer import score_markdown
    from pm_agent.analysis.whys.chain import run_five_whys
    from pm_agent.render.postmortem import render_markdown

    incidents = eval_incidents()
    texts = blameless_texts()
    drafts = [render_markdown(draft_postmortem(incident, score=False)) for incident in incidents]

    def whys(incident):
        return run_five_whys(incident.title, incident)

    typical = [
        {
            "engine": "5 Whys",
            "input": f"{len(incidents)} eval-case incidents",
            "per_second": round(per_second(whys, incidents, runs), 1),
        },
        {
            "engine": "blameless rewrite",
            "input": f"{len(texts)} sentences of the blameless dataset",
            "per_second": round(per_second(rewrite_blameless, texts, runs), 1),
        },
        {
            "engine": "rubric scoring",
            "input": f"{len(drafts)} eval-case drafts (Markdown)",
            "per_second": round(per_second(score_markdown, drafts, runs), 1),
        },
    ]
    by_size = []
    for size in sizes:
        incident = bench_draft.synthetic_incident(size)
        markdown = render_markdown(draft_postmortem(incident, score=False))
        sentences = max(1, size // 10)
        text = " ".join(texts[n % len(texts)] for n in range(sentences))
        by_size.append(
            {
                "size": size,
                "sentences": sentences,
                "markdown_kb": round(len(markdown) / 1024, 1),
                "whys_s": round(median_seconds(lambda i=incident: run_five_whys(i.title, i), runs), 5),
                "rewrite_s": round(median_seconds(lambda t=text: rewrite_blameless(t), runs), 5),
                "rubric_s": round(median_seconds(lambda m=markdown: score_markdown(m), runs), 5),
            }
        )
    growth = {
        "5 Whys (events)": growth_steps([(r["size"], r["whys_s"]) for r in by_size]),
        "blameless rewrite (sentences)": growth_steps([(r["sentences"], r["rewrite_s"]) for r in by_size]),
        "rubric scoring (draft of N events)": growth_steps([(r["size"], r["rubric_s"]) for r in by_size]),
    }
    return {"runs": runs, "typical": typical, "by_size": by_size, "growth": growth}
