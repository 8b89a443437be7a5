"""5 Whys: a chain of evidence-backed why/because steps ending at a systemic cause."""

from __future__ import annotations

from pm_agent.models import ChainReview, Incident, WhyChain


def run_five_whys(problem: str, incident: Incident | None = None, facts: list[str] | None = None) -> WhyChain:
    """Build a why-chain for ``problem`` from the incident's events and known facts."""
    raise NotImplementedError


def review_chain(steps: list[str]) -> ChainReview:
    """Check a user's chain (one 'because' per item): flag stops at people or vague causes."""
    raise NotImplementedError
