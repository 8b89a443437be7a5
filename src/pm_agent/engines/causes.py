"""Cause categories shared by the engines and the memory."""

from __future__ import annotations

CAUSE_CATEGORIES: tuple[str, ...] = (
    "config", "deploy", "hardware", "database", "time", "concurrency", "network", "capacity",
    "dependency", "security", "human-process", "cascading", "kubernetes", "control-plane",
    "observability", "other",
)


def classify_causes(text: str) -> list[str]:
    """Cause categories suggested by ``text``, strongest first; ``[]`` when nothing matches."""
    raise NotImplementedError
