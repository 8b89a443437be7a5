"""Blameless language: detect blame and rewrite it toward the system, keeping every fact."""

from __future__ import annotations

from pm_agent.models import BlameFinding, BlamelessReport


def detect_blame(text: str) -> list[BlameFinding]:
    """Find blame language in ``text``; spans index into ``text``."""
    raise NotImplementedError


def rewrite_blameless(text: str) -> BlamelessReport:
    """Return the findings and ``text`` rewritten without them, every fact preserved."""
    raise NotImplementedError
