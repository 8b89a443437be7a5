"""Rendering results as text: the postmortem, analysis results and the patterns report, one place for each."""
