"""The rubric scorer: any postmortem in Markdown, eight weighted criteria, 1 to 5."""

from __future__ import annotations

from pm_agent.models import RubricResult


def score_markdown(markdown: str) -> RubricResult:
    """Score a postmortem written in Markdown against the project's rubric."""
    raise NotImplementedError
