"""Drafting speed and peak memory for synthetic incidents of growing size.

    python bench/bench_draft.py [--sizes 100 1000 5000 10000] [--runs 5] [--ingest]

Prints a Markdown table: events, median seconds (offline engine, with the rubric score),
seconds per 1,000 events, and peak traced memory. Goal (issue 2): 5,000 events under 1 s.
With ``--ingest`` a second table, in the same format, times what ``pm-agent draft FILE`` does
with the same events written as a text timeline: reading them (``load_incident_text``, which
also folds near duplicates) and then drafting.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import time
import tracemalloc

from pm_agent.engines.drafting import draft_postmortem
from pm_agent.ingest import load_incident_text
from pm_agent.models import Incident, TimelineEvent
from pm_agent.render import render_markdown

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
    start = dt.datetime(2026, 3, 10, 14, 0, tzinfo=dt.timezone.utc)
    events = []
    for index in range(size):
        source, text = TEMPLATES[rng.randrange(len(TEMPLATES))]
        events.append(TimelineEvent(at=start + dt.timedelta(seconds=index * 3), source=source, text=text.format(n=index)))
    return Incident(
        id=f"bench-{size}", title="Checkout latency under load", services=["checkout-api"], events=events,
        started_at=start, detected_at=start + dt.timedelta(minutes=4), resolved_at=events[-1].at,
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
    args = parser.parse_args()
    table(args.sizes, args.runs)
    if args.ingest:
        print("\nRead from a text timeline (load_incident_text), then drafted:\n")
        table(args.sizes, args.runs, ingest=True)


if __name__ == "__main__":
    main()
