"""Owner roles, due-date horizons, priorities and the SMART lint patterns: data only.

Owner roles, their roster aliases and the horizons are a plain table, kept as data in
``pm_agent/data/action_rules.toml`` (read once). The severity and lint patterns stay here as code:
each is one regular expression whose anchors and look-behinds are part of what it means.
"""

from __future__ import annotations

import re

from pm_agent.data import table


def _re(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


_TABLE = table("action_rules")
HORIZON_DAYS: dict[str, int] = {horizon: entry["days"] for horizon, entry in _TABLE["horizons"].items()}
EFFORT_BY_HORIZON: dict[str, str] = {horizon: entry["effort"] for horizon, entry in _TABLE["horizons"].items()}
OWNER_ROLES: dict[str, str] = {area: entry["role"] for area, entry in _TABLE["owners"].items() if entry["role"]}
OWNER_ALIASES: dict[str, tuple[str, ...]] = {area: entry["aliases"] for area, entry in _TABLE["owners"].items()}
SEVERE_RE = _re(r"\b(sev|p|s)\s*-?\s*[01]\b|\b(critical|major|high|urgent|emergency)\b")
MINOR_RE = _re(r"\b(sev|p|s)\s*-?\s*[3-9]\b|\b(minor|low|trivial|cosmetic)\b")

# --- linting ------------------------------------------------------------------------------

VAGUE_ALWAYS = _re(
    r"\b(be (more )?careful|pay (more )?attention|look into|double[- ]check|try to|be aware|keep an eye|"
    r"as needed|as appropriate|where possible|if possible|going forward|make sure|be more vigilant|do better|"
    r"never happens? again|(?:make|made|making) \w+ (?:safer|better|more (?:robust|reliable|stable|resilient)))\b"
)
VAGUE_UNLESS_MEASURED = _re(
    r"\b(improve|better|more robust|enhance)\w*\s+(the\s+)?(monitoring|alerting|testing|process|communication|"
    r"documentation|observability|reliability|quality)\b|"
    r"^\s*(improve|enhance|investigate|review|consider|revisit|optimi[sz]e|monitor|strengthen|clean ?up|harden|"
    r"look at|explore|evaluate|discuss|think about|work on)\b"
)
BARE_INVESTIGATE = _re(
    r"^\s*(investigate|look into|check|review)(\s+(it|this|that|the issue|the problem|the incident|issue|problem|why))?\s*\.?\s*$"
)
OBSERVABLE_RE = _re(
    r"\b(pass(es|ed)?|fails?|blocks?|blocked|rejects?|rejected|fires?|pages?|alerts?|shows?|returns?|exists?|merged|"
    r"deployed|enabled|published|linked|documented|runs?|rehears\w*|drill|tests?|tested|verified|measured|below|"
    r"above|under|within|every|each|at least|no more than|zero|dashboard|ci|listed|records?|completes?)\b|%|\d"
)
UNMEASURABLE_DONE = _re(
    r"^\s*(done|complete(d)?|fixed|improved|better|n/?a|tbd|ongoing|when possible|as needed|yes)\W*$"
)
TEAM_RE = _re(
    r"\b(team|teams|squad|guild|engineering|devs?|developers|sre|ops|devops|everyone|everybody|all|we|us|"
    r"infra(structure)?|platform|backend|frontend|it|support|management|staff|networking|security|operations|qa)\b"
)
ROLE_RE = _re(
    r"\b(lead|owner|manager|commander|role|director|head|captain|chief|champion|on-?call|engineer|architect)\b"
)
TRAINING_TITLE_RE = _re(
    r"^\s*(train|remind|educate|tell|teach|communicate|raise awareness|run an? (training|workshop)|share|brief)\b"
)
ENGINEERING_TITLE_RE = _re(
    r"\b(add|automate|block|enforce|(?<!double-)(?<!double )check|alert|guard|test|remove|replace|script|limit|gate)\w*\b"
)
