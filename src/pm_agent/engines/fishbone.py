"""Fishbone (Ishikawa) grouping and fault tree, rendered as Mermaid."""

from __future__ import annotations

from pm_agent.models import Fishbone, WhyChain


def build_fishbone(chain: WhyChain, factors: list[str], fault_tree: bool = False) -> Fishbone:
    """Group causes and factors into People, Process, Technology, Environment."""
    raise NotImplementedError
