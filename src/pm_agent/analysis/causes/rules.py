"""Keyword rules for cause categories, as data: ``pm_agent/data/cause_rules.toml``.

Each category has weighted patterns; a pattern counts once per match (up to three), so a
text that keeps returning to a theme outweighs one passing mention. The rules are a plain table
(a pattern and a weight, nothing built from other fragments), so they live in a data file where a
category or a keyword can be added without reading code; this module compiles them once, each
behind the word scan of :func:`~pm_agent.textscan.words.compile_scanned`.
"""

from __future__ import annotations

import re

from pm_agent.data import table
from pm_agent.textscan.words import StartWords, WordGroup, compile_scanned

Rule = tuple[StartWords, float]
_EVERY_RULE = WordGroup()  # every rule is asked about each text: one scan of a short text answers them all

_TABLE = table("cause_rules")
CATEGORY_RULES: dict[str, tuple[Rule, ...]] = {
    category: tuple((compile_scanned(rule["pattern"], re.IGNORECASE, _EVERY_RULE), rule["weight"]) for rule in rules)
    for category, rules in _TABLE["categories"].items()
}
CATEGORY_MIN_SCORE: float = _TABLE["min_score"]
PATTERN_COUNT_CAP: int = _TABLE["pattern_count_cap"]
