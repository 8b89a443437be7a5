"""The rubric scorer: any postmortem in Markdown, eight weighted criteria, 1 to 5."""
