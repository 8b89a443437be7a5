"""Synthetic incidents for the memory benchmarks, made from varied templates (no real incident text).

Each incident combines a trigger, a service, a symptom, how it was detected, how it was mitigated
and a contributing factor, with numbers drawn from a seeded generator, so that a pool of a few
thousand incidents holds as many distinct texts, of realistic length (two to four sentences) and
vocabulary (what an incident list or a postmortem summary says). ``variant`` rows reuse a pool
incident's text with another id, date and occurrence number: distinct documents whose meaning,
and so whose embedding, is that of the pool text.
"""

from __future__ import annotations

import datetime as dt
import random

SERVICES = [
    "checkout-api",
    "payments-gateway",
    "search-indexer",
    "auth-service",
    "edge-router",
    "orders-db",
    "inventory-service",
    "notification-queue",
    "billing-worker",
    "kubernetes control plane",
    "cdn edge",
    "kafka cluster",
    "redis cache",
    "object storage",
    "internal DNS",
    "mobile API",
    "ci runners",
    "feature-flag service",
    "session store",
    "reporting warehouse",
]
TRIGGERS = [
    ("config", "a configuration push changed {setting} on {service}"),
    ("deploy", "build {n} of {service} was rolled out to every region at once"),
    ("time", "the TLS certificate of {service} expired after renewal had been failing for {days} days"),
    ("capacity", "a traffic spike of {pct}% above peak saturated {service}"),
    ("database", "a schema migration locked the main table behind {service} for {minutes} minutes"),
    ("hardware", "a storage node under {service} lost {disks} disks in the same rack"),
    ("network", "a BGP announcement withdrew the prefixes that reach {service}"),
    ("dependency", "the upstream provider that {service} calls returned errors for {minutes} minutes"),
    ("kubernetes", "a node pool upgrade left {nodes} nodes NotReady and evicted pods of {service}"),
    ("concurrency", "a race between two writers in {service} corrupted {rows} records"),
    ("security", "an access key of {service} was published in a public repository"),
    ("time", "clock skew of {seconds} seconds between hosts made {service} reject tokens"),
    ("cascading", "retries from clients of {service} multiplied load {factor} times after a brief failure"),
    ("observability", "a logging change filled the disks of {service} with debug output"),
    ("human-process", "a manual failover runbook for {service} skipped the replication check"),
]
SETTINGS = [
    "pool_size",
    "timeout_ms",
    "max_connections",
    "rate limit",
    "routing weights",
    "cache TTL",
    "health check path",
    "replica count",
    "feature flag rollout percentage",
]
SYMPTOMS = [
    "{pct}% of requests failed with 5xx errors",
    "p99 latency rose to {ms} ms",
    "logins failed for {users} users",
    "orders were delayed by up to {minutes} minutes",
    "the queue backlog grew to {rows} messages",
    "{pct}% of API calls timed out",
    "customers saw stale prices for {minutes} minutes",
    "{rows} writes were lost and replayed from the journal",
]
DETECTIONS = [
    "An alert on the error rate fired after {minutes} minutes.",
    "Customers reported it to support before any alert fired.",
    "A synthetic check caught it {minutes} minutes in.",
    "The on-call engineer noticed it on a dashboard during a deploy.",
    "Detection took {minutes} minutes because the alert threshold was set too high.",
]
MITIGATIONS = [
    "The change was rolled back",
    "Traffic failed over to the secondary region",
    "The service was scaled out",
    "The certificate was renewed by hand",
    "Affected nodes were drained and replaced",
    "A rate limit was applied at the edge",
    "The replica was promoted to primary",
]
FACTORS = [
    "no canary stage for this kind of change",
    "the runbook was out of date",
    "no alert watched this dependency",
    "the capacity plan predated the last launch",
    "config validation only checked syntax",
    "the rollback path had never been tested",
]


def pool_incident(index: int, rng: random.Random) -> dict:
    """One synthetic incident row (id, title, summary, date, severity, services)."""
    _category, trigger = TRIGGERS[rng.randrange(len(TRIGGERS))]
    service = SERVICES[rng.randrange(len(SERVICES))]
    numbers = {
        "n": rng.randrange(100, 9999),
        "days": rng.randrange(2, 60),
        "pct": rng.randrange(5, 95),
        "minutes": rng.randrange(3, 240),
        "disks": rng.randrange(2, 9),
        "nodes": rng.randrange(3, 80),
        "rows": rng.randrange(1000, 900000),
        "seconds": rng.randrange(2, 600),
        "factor": rng.randrange(3, 40),
        "ms": rng.randrange(400, 30000),
        "users": rng.randrange(200, 90000),
        "setting": SETTINGS[rng.randrange(len(SETTINGS))],
        "service": service,
    }
    cause = trigger.format(**numbers)
    symptom = SYMPTOMS[rng.randrange(len(SYMPTOMS))].format(**numbers)
    sentences = [
        f"{cause[0].upper()}{cause[1:]}, and {symptom}.",
        DETECTIONS[rng.randrange(len(DETECTIONS))].format(**numbers),
    ]
    if rng.random() < 0.7:
        sentences.append(f"{MITIGATIONS[rng.randrange(len(MITIGATIONS))]} after {numbers['minutes']} minutes.")
    if rng.random() < 0.6:
        sentences.append(f"A contributing factor: {FACTORS[rng.randrange(len(FACTORS))]}.")
    day = dt.date(2019, 1, 1) + dt.timedelta(days=rng.randrange(2500))
    return {
        "id": f"synthetic-{index}",
        "title": f"{service}: {symptom}",
        "summary": " ".join(sentences),
        "date": day.isoformat(),
        "severity": rng.choice(["SEV1", "SEV2", "SEV3"]),
        "services": [service],
    }


def incident_pool(size: int, seed: int = 11) -> list[dict]:
    """``size`` synthetic incidents whose texts are all distinct."""
    rng = random.Random(seed)
    pool, seen = [], set()
    while len(pool) < size:
        row = pool_incident(len(pool), rng)
        key = (row["title"], row["summary"])
        if key not in seen:
            seen.add(key)
            pool.append(row)
    return pool


def variant(pool: list[dict], number: int) -> dict:
    """Row ``number`` of a large memory: pool row ``number % len(pool)`` as another occurrence.

    The first round is the pool itself; later rounds get their own id, a later date and an
    occurrence note, so every stored document is distinct.
    """
    base, round_ = pool[number % len(pool)], number // len(pool)
    if not round_:
        return base
    day = dt.date.fromisoformat(base["date"]) + dt.timedelta(days=round_)
    return {
        **base,
        "id": f"{base['id']}-r{round_}",
        "date": day.isoformat(),
        "summary": f"{base['summary']} (Recurrence {round_}.)",
    }
