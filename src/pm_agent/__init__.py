"""pm-agent: a blameless postmortem assistant for software teams."""

__version__ = "0.1.0"
