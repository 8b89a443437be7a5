"""Redaction speed on 1 MB texts: ordinary incident lines, lines full of secrets, and inputs built to
make a careless pattern backtrack (long runs of key characters, many unterminated key blocks,
commands without their flags, keyword prefixes without the token after them).

    python bench/bench_redaction.py [--mb 1] [--runs 5]

Prints a Markdown table: input, size, median seconds, MB per second, placeholders written. Every
pattern should stay linear, so each row should take about as long per MB as the ordinary one;
a quadratic pattern shows up as a row taking minutes.
Also times redacting a 10,000-event incident (``redact_model``), as ``PostmortemService.load`` does.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time

from pm_agent.guards.redaction import redact, redact_model
from pm_agent.models import Incident, TimelineEvent

ORDINARY = (
    "2024-03-01T14:02:11Z alert FIRING CheckoutLatencyHigh p99 1840 ms (SLO 99.95%) on checkout-api v2.14.3 "
    "pod 10.0.4.17 deploy 3f786850e387550fdab836ed7e6dc881de23001b request 123e4567-e89b-12d3-a456-426614174000\n"
)
SECRETS = (
    "14:05 dana@example.com pasted AKIA" + "Z" * 16 + " and postgres://app:pw" + "9" * 8 + "@db:5432/x "
    "Authorization: Bearer " + "a1" * 12 + " token=" + "t" * 20 + "\n"
)


def adversarial() -> dict[str, str]:
    """Texts that would take minutes with a backtracking pattern."""
    return {
        "word characters, no separator": "a" * 64 + " ",
        "local parts without a domain": "x" * 60 + "@",
        "schemes without an at": "https://user:" + "p" * 200 + " ",
        "unterminated key blocks": "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n",
        "keys without values": "password=\npassword: ",
        "bearer without digits": "Bearer " + "b" * 40 + " ",
        "dotted domains": "u@" + "a." * 100 + " ",
        "commands without their flags": "curl mysql redis-cli sshpass --pass ",
        "key words glued together": "dbPasswordTokenSecretApiKey",
        "values of separators only": "password=a&b;c,d&",
        "keyword prefixes without tokens": "sk-ant- glpat- hvs. npm_ xoxb- AKIA :A ",
    }


def to_size(unit: str, size: int) -> str:
    return (unit * (size // len(unit) + 1))[:size]


def median_time(text: str, runs: int) -> tuple[float, int]:
    times, placeholders = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        result = redact(text)
        times.append(time.perf_counter() - start)
        placeholders = sum(f.count for f in result.findings)
    return statistics.median(times), placeholders


def incident(events: int) -> Incident:
    start = dt.datetime(2026, 3, 10, 14, 0, tzinfo=dt.UTC)
    return Incident(
        id="INC-1",
        title="checkout latency",
        events=[
            TimelineEvent(
                at=start + dt.timedelta(seconds=n),
                source="chat",
                text=f"pod-{n} pool waits {n} ms; page ops@example.com",
            )
            for n in range(events)
        ],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    size = int(args.mb * 1024 * 1024)
    inputs = {"ordinary incident lines": ORDINARY, "a secret on every line": SECRETS, **adversarial()}
    print("| input | MB | median s | MB/s | placeholders |\n|---|---|---|---|---|")
    for name, unit in inputs.items():
        seconds, placeholders = median_time(to_size(unit, size), args.runs)
        print(f"| {name} | {args.mb:g} | {seconds:.3f} | {args.mb / seconds:.1f} | {placeholders} |")
    subject = incident(10_000)
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        redact_model(subject)
        times.append(time.perf_counter() - start)
    print(f"\nredact_model on 10,000 events, each with an e-mail address: {statistics.median(times):.3f} s (median)")


if __name__ == "__main__":
    main()
