"""Building blocks of the rubric scorer: judgements that explain themselves, phrase signals, figures.

A :class:`Judgement` collects points with the evidence that earned them and the changes that
would earn more, so no score is ever given without its reasons. :class:`Signals` matches the
phrase lists of ``prompts/rubric.json``, which keeps the scorer's vocabulary in data.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from pm_agent.errors import PromptError
from pm_agent.textscan.phrase_scan import phrase_pattern, phrase_scan

_NUMBER = r"(?<![\w.,:/-])(?:\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\+?(?:\s?(?:k|K|M|million|thousand|bn|billion)\b)?"
_STATUS_CODE_RE = re.compile(r"^[1-5]\d\d\s+(?:[a-z]+\s+)?(?:errors?|responses?|status|codes?|messages?|pages?)$", re.I)


@dataclass
class Judgement:
    """Points toward a 1-5 score, each step explained by evidence or by what would raise it."""

    points: float = 1.0
    evidence: list[str] = field(default_factory=list)
    to_improve: list[str] = field(default_factory=list)
    ceiling: float = 5.0

    def credit(self, points: float, evidence: str | None = None) -> None:
        """Add (or, when negative, remove) points, recording what was found."""
        self.points += points
        if evidence:
            self.evidence.append(evidence)

    def found(self, evidence: str) -> None:
        self.evidence.append(evidence)

    def cap(self, ceiling: float, evidence: str) -> None:
        """Hold the score at or below ``ceiling`` whatever else is credited (a flaw extra detail cannot buy off)."""
        self.ceiling = min(self.ceiling, ceiling)
        self.evidence.append(evidence)

    def improve(self, advice: str) -> None:
        if advice not in self.to_improve:
            self.to_improve.append(advice)

    @property
    def score(self) -> float:
        """Points clamped to 1-5 and rounded to the nearest half; an exact midpoint rounds down."""
        halves = math.ceil(self.points * 2 - 0.5 - 1e-9)
        return min(self.ceiling, max(1.0, halves / 2))


class Signals:
    """The phrase lists one rubric criterion declares, matched case-insensitively on word boundaries."""

    def __init__(self, criterion_id: str, lists: dict[str, list[str]]) -> None:
        self.criterion_id = criterion_id
        self.lists = lists

    def phrases(self, key: str) -> list[str]:
        if key not in self.lists:
            raise PromptError(f"rubric.json: criterion {self.criterion_id!r} has no signal list {key!r}")
        return self.lists[key]

    def found(self, key: str, text: str) -> list[str]:
        """The distinct phrases of list ``key`` that occur in ``text``, lowercased, first occurrence first."""
        hits = [m.group(0).lower() for m in phrase_scan(tuple(self.phrases(key))).finditer(text or "")]
        return list(dict.fromkeys(" ".join(h.split()) for h in hits))

    def occurs(self, key: str, text: str) -> bool:
        """True when a phrase of list ``key`` occurs in ``text`` (``bool(found(...))``, stopping at the first)."""
        return next(iter(phrase_scan(tuple(self.phrases(key))).finditer(text or "")), None) is not None

    def count(self, key: str, text: str) -> int:
        """How many times phrases of list ``key`` occur in ``text``."""
        return sum(1 for _ in phrase_scan(tuple(self.phrases(key))).finditer(text or ""))

    def starts_with(self, key: str, text: str) -> str | None:
        """The phrase of list ``key`` that ``text`` opens with, if any."""
        match = phrase_pattern(tuple(self.phrases(key))).match(text.strip())
        return match.group(0).lower() if match else None


def figures(text: str, signals: Signals) -> dict[str, list[str]]:
    """Numeric impact figures in ``text`` by kind (affected, share, duration, volume, money, sla, support)."""
    kinds = {
        "affected": _counted(signals.phrases("affected_entities")),
        "volume": _counted(signals.phrases("volume_entities")),
        "support": _counted(signals.phrases("support_entities")),
        "share": re.compile(rf"{_NUMBER}\s?%"),
        "duration": _duration(signals.phrases("duration_units")),
        "money": _money(signals.phrases("currency")),
        "sla": re.compile(
            rf"(?<!\w)(?:{_alternation(signals.phrases('sla_terms'))})(?!\w)[^.\n]{{0,60}}?"
            r"(?:\d+(?:\.\d+)?\s?%|breach\w*|violat\w*|miss\w*|burn\w*|exhaust\w*)",
            re.I,
        ),
    }
    found: dict[str, list[str]] = {}
    for kind, pattern in kinds.items():
        hits = [" ".join(m.group(0).split()) for m in pattern.finditer(text or "")]
        hits = [h for h in hits if not _STATUS_CODE_RE.match(h)]
        if hits:
            found[kind] = list(dict.fromkeys(hits))
    return found


def _duration(units: list[str]) -> re.Pattern[str]:
    """One duration, however many units it takes: '40 min', '5 hours 26 minutes', '1 h and 5 min', or a clock
    range such as '10:45 - 16:11' (the span between two times)."""
    one = rf"{_NUMBER}\s?(?:{_alternation(units)})(?!\w)"
    clock = r"(?<![\d:])\d{1,2}:\d{2}(?::\d{2})?"
    return re.compile(rf"{one}(?:(?:\s*,\s*|\s+and\s+|\s+){one})*|{clock}\s?(?:-|–|—|to)\s?{clock}(?![\d:])", re.I)


def _alternation(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


def _counted(entities: list[str]) -> re.Pattern[str]:
    """A number, up to two qualifying words, then one of ``entities``: '305 teams', '3,400 active users'."""
    return re.compile(rf"{_NUMBER}[ \t]+(?:[A-Za-z-]+[ \t]+){{0,2}}?(?:{_alternation(entities)})(?!\w)", re.I)


def _money(symbols: list[str]) -> re.Pattern[str]:
    signs = [re.escape(s) for s in symbols if not s.isalpha()]
    codes = [s for s in symbols if s.isalpha()]
    return re.compile(
        rf"(?:{'|'.join(signs)})\s?\d[\d,.]*(?:\s?(?:k|K|M|million|bn))?|{_NUMBER}\s?(?:{_alternation(codes)})(?!\w)"
    )


def words(text: str) -> int:
    """The number of words in ``text``."""
    return len(re.findall(r"[A-Za-z0-9][\w'-]*", text or ""))


def plural(count: int, noun: str, many: str | None = None) -> str:
    """'1 row', '3 rows'."""
    return f"{count} {noun if count == 1 else many or noun + 's'}"


def quoted(items: list[str], limit: int = 3, width: int = 60) -> str:
    """Up to ``limit`` items, each shortened to ``width`` characters, quoted and comma-separated."""
    shown = [f"'{_shorten(item, width)}'" for item in items[:limit]]
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(shown) + more


def _shorten(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"
