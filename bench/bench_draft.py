"""Drafting speed and peak memory for synthetic incidents of growing size.

    python bench/bench_draft.py [--sizes 100 1000 5000 10000] [--runs 5] [--ingest] [--hostile 50000]

Prints a Markdown table: events, median seconds (offline engine, with the rubric score),
seconds per 1,000 events, and peak traced memory. Goal (issue 2): 5,000 events under 1 s.
With ``--ingest`` a second table, in the same format, times what ``pm-agent draft FILE`` does
with the same events written as a text timeline: reading them (``load_incident_text``, which
also folds near duplicates) and then drafting. With ``--hostile N`` a third table times the two inputs
of the hardening issue end to end (read, fold, draft, render, score): N events each given twice (JSON,
times a second apart) and N identical text lines. Both were quadratic in the folding (16k events: 29 s).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import time
import tracemalloc

from pm_agent.analysis.drafting import draft_postmortem
from pm_agent.ingest import load_incident_text
from pm_agent.models import Incident, TimelineEvent
from pm_agent.render.postmortem import render_markdown

TEMPLATES = [
    ("deploy", "checkout-api v{n} rolled out to 10% of pods"),
    ("metric", "p99 latency {n} ms on checkout-api"),
    ("alert", "FIRING CheckoutLatencyHigh instance=pod-{n}"),
    ("chat", "looking at pod-{n}, connection pool waits are climbing"),
    ("page", "Escalated to payments secondary (attempt {n})"),
    ("note", "restarted pod-{n}; errors continue"),
    ("chat", "Identified pool exhaustion on replica {n}"),
]


def synthetic_incident(size: int, seed: int = 7) -> Incident:
    rng = random.Random(seed)
    start = dt.datetime(2026, 3, 10, 14, 0, tzinfo=dt.UTC)
    events = []
    for index in range(size):
        source, text = TEMPLATES[rng.randrange(len(TEMPLATES))]
        events.append(
            TimelineEvent(at=start + dt.timedelta(seconds=index * 3), source=source, text=text.format(n=index))
        )
    return Incident(
        id=f"bench-{size}",
        title="Checkout latency under load",
        services=["checkout-api"],
        events=events,
        started_at=start,
        detected_at=start + dt.timedelta(minutes=4),
        resolved_at=events[-1].at,
    )


def text_timeline(incident: Incident) -> str:
    """The incident's events as a text timeline, one ``<ISO time> [<source>] <text>`` line each."""
    return "\n".join(f"{e.at.isoformat()} [{e.source}] {e.text}" for e in incident.events)


def measure(size: int, runs: int, ingest: bool = False) -> tuple[float, float]:
    incident = synthetic_incident(size)
    text = text_timeline(incident)

    def once() -> None:
        source = load_incident_text(text, "bench.txt", max_events=size) if ingest else incident
        render_markdown(draft_postmortem(source))

    seconds = []
    for _ in range(runs):
        began = time.perf_counter()
        once()
        seconds.append(time.perf_counter() - began)
    tracemalloc.start()
    once()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return statistics.median(seconds), peak / 1e6


def hostile_inputs(size: int) -> dict[str, str]:
    """The hardening issue's two inputs of ``size`` events: every event given twice, and one line ``size`` times."""
    start = dt.datetime(2026, 3, 10, 14, 0, tzinfo=dt.UTC)
    pairs = [
        {
            "at": (start + dt.timedelta(seconds=n // 2)).isoformat(),
            "source": "chat",
            "text": f"checkout api error on pod {n // 2} again",
        }
        for n in range(size)
    ]
    return {
        "each event given twice (JSON)": json.dumps({"title": "Checkout errors", "events": pairs}),
        "identical text lines": "\n".join(["2026-03-10T14:00:00Z [chat] the checkout api is down"] * size),
    }


def measure_hostile(size: int, runs: int) -> list[dict]:
    """Read (with folding), draft, render and score each hostile input: median seconds, peak MB, events kept."""
    rows = []
    for case, text in hostile_inputs(size).items():
        kept = len(load_incident_text(text, "hostile", max_events=size).events)

        def once(text: str = text) -> None:
            render_markdown(draft_postmortem(load_incident_text(text, "hostile", max_events=size)))

        seconds = []
        for _ in range(runs):
            began = time.perf_counter()
            once()
            seconds.append(time.perf_counter() - began)
        tracemalloc.start()
        once()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rows.append(
            {
                "case": case,
                "events": size,
                "kept": kept,
                "median_s": round(statistics.median(seconds), 3),
                "peak_mb": round(peak / 1e6, 1),
            }
        )
    return rows


def table(sizes: list[int], runs: int, ingest: bool = False) -> None:
    print("| events | median s | s per 1k events | peak MB |")
    print("|---:|---:|---:|---:|")
    for size in sizes:
        median, peak = measure(size, runs, ingest)
        print(f"| {size:,} | {median:.3f} | {median / size * 1000:.3f} | {peak:.1f} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=int, default=[100, 1000, 5000, 10000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--ingest", action="store_true", help="also time reading a text timeline, then drafting")
    parser.add_argument("--hostile", type=int, metavar="N", help="also time the two hostile inputs of N events")
    args = parser.parse_args()
    table(args.sizes, args.runs)
    if args.ingest:
        print("\nRead from a text timeline (load_incident_text), then drafted:\n")
        table(args.sizes, args.runs, ingest=True)
    if args.hostile:
        print(f"\nHostile inputs of {args.hostile:,} events, read, folded, drafted, rendered and scored:\n")
        print("| input | events | kept after folding | median s | peak MB |")
        print("|---|---:|---:|---:|---:|")
        for row in measure_hostile(args.hostile, args.runs):
            print(
                f"| {row['case']} | {row['events']:,} | {row['kept']:,} | {row['median_s']:.3f} "
                f"| {row['peak_mb']:.1f} |"
            )


if __name__ == "__main__":
    main()
