"""Does a draft's statement say what the team concluded? A documented, deterministic matcher.

Two short texts match when they share enough of their content words (see
:mod:`pm_agent.analysis.terms`): the weighted share of the team's item that the statement covers
(*coverage*) and the weighted share of the statement that is about the item (*precision*) are
combined as their harmonic mean, which must reach :data:`MATCH_F`, and at least
:data:`MIN_STRONG` of the shared stems must be specific words (a component, a mechanism), not
words every incident uses. The thresholds were set on ``evals/datasets/matching.jsonl``, a
labelled set of paraphrases that must match and unrelated or same-component-other-mechanism
statements that must not; the eval reports the matcher's agreement with that set and, on the
real incidents, how often one incident's conclusions match another's (they should not).

Whether the incident data *states* an item (the eval's ceiling, :func:`stated`) asks more: a line
of the input must match the item and hold at least :data:`STATED_COVERAGE` of it, counting each
word written once (:func:`words_held`). A compound name (``retention-worker``, ``upload_records``)
is one word there, held when the line names it or every one of its parts, and two forms of one
word (``expiry``, ``expired``) are one word. Counted whole and once
per part, as the matcher's stems count them, a line that only names the item's components and its
verb ("retention-worker run started: deleting upload records older than 30 days") would hold half
of a cause it never states ("retention-worker has no limit on how much one run may delete").
Rows of the labelled set that carry ``stated`` check this rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from pm_agent.analysis.terms import content_stems, same_stem, shared_stems, weight, words

MATCH_F = 0.32
MIN_STRONG = 2
STATED_COVERAGE = 0.5


@dataclass(frozen=True)
class Match:
    """How far ``claim`` says what ``item`` says."""

    item: str
    claim: str
    coverage: float
    precision: float
    shared: tuple[str, ...]

    @property
    def f(self) -> float:
        total = self.coverage + self.precision
        return 2 * self.coverage * self.precision / total if total else 0.0

    @property
    def strong(self) -> int:
        return sum(1 for s in self.shared if weight(s) == 1.0)

    @property
    def matched(self) -> bool:
        return self.f >= MATCH_F and self.strong >= MIN_STRONG


def compare(item: str, claim: str) -> Match:
    """The match of one statement against one item the team wrote."""
    item_stems, claim_stems = _stems(item), _stems(claim)
    covered = shared_stems(item_stems, claim_stems)
    about = shared_stems(claim_stems, item_stems)
    return Match(
        item=item,
        claim=claim,
        coverage=_share(covered, item_stems),
        precision=_share(about, claim_stems),
        shared=tuple(covered),
    )


def found(item: str, claims: Iterable[str]) -> bool:
    """True when some statement in ``claims`` matches ``item``."""
    return any(compare(item, claim).matched for claim in claims)


def stated(item: str, statements: Iterable[str]) -> bool:
    """True when some statement of the input matches ``item`` and holds at least :data:`STATED_COVERAGE` of its
    words: the input says it, rather than only naming the same components."""
    return any(compare(item, s).matched and words_held(item, s) >= STATED_COVERAGE for s in statements)


def words_held(item: str, statement: str) -> float:
    """The weighted share of ``item``'s words that ``statement`` holds, each word written counted once."""
    item_words, held_stems = _words(item), frozenset(_stems(statement))
    total = sum(weight(word[0]) for word in item_words)
    return sum(weight(word[0]) for word in item_words if _held(word, held_stems)) / total if total else 0.0


@lru_cache(maxsize=1 << 14)
def _stems(text: str) -> tuple[str, ...]:
    """``content_stems(text)``, computed once per text: one drafting run compares the same few hundred texts
    some ten thousand times."""
    return tuple(content_stems(text))


Word = tuple[str, ...]
"""One content word of a text as stems: the whole word first, then a compound's parts."""


@lru_cache(maxsize=1 << 14)
def _words(text: str) -> tuple[Word, ...]:
    """The content words of ``text``, each once: a word whose stems all repeat earlier ones (``expired`` after
    ``expiry``) is not counted again."""
    out: list[Word] = []
    seen: list[str] = []
    for token in words(text):
        stems = tuple(content_stems(token))
        if stems and not all(_has(seen, s) for s in stems):
            seen.extend(stems)
            out.append(stems)
    return tuple(out)


def _has(stems: Iterable[str], stem: str) -> bool:
    return stem in stems or any(same_stem(stem, other) for other in stems)


def _held(word: Word, stems: frozenset[str]) -> bool:
    """Whether the ``stems`` hold ``word``: whole, or a compound by every one of its parts (``grafana agent`` holds
    ``grafana-agent``; ``destroy`` alone does not hold ``prevent_destroy``)."""
    whole, *parts = word
    return _has(stems, whole) or (bool(parts) and all(_has(stems, p) for p in parts))


def _share(part: Sequence[str], whole: Sequence[str]) -> float:
    total = sum(weight(s) for s in whole)
    return sum(weight(s) for s in part) / total if total else 0.0


@dataclass(frozen=True)
class Calibration:
    """The matcher against labelled pairs, and how often different incidents' causes match each other."""

    pairs: int
    agree: int
    positives: int
    positives_matched: int
    negatives: int
    negatives_rejected: int
    cross_pairs: int = 0
    cross_matched: int = 0
    stated_pairs: int = 0
    stated_agree: int = 0

    @property
    def agreement(self) -> float:
        return self.agree / self.pairs if self.pairs else 0.0

    def sentence(self) -> str:
        text = (
            f"Matcher calibration (evals/datasets/matching.jsonl, F >= {MATCH_F:g} with >= {MIN_STRONG} specific "
            f"words shared): {self.agree} of {self.pairs} labelled pairs agree; paraphrases matched "
            f"{self.positives_matched}/{self.positives}, unrelated or other-mechanism statements rejected "
            f"{self.negatives_rejected}/{self.negatives}."
        )
        if self.stated_pairs:
            text += (
                f" The ceiling's rule (a line states an item when it matches and holds >= {STATED_COVERAGE:g} of its "
                f"words) agrees with {self.stated_agree} of {self.stated_pairs} pairs labelled stated or not."
            )
        if self.cross_pairs:
            text += (
                f" Across different incidents, {self.cross_matched} of {self.cross_pairs} pairs of the teams' own "
                "causes match each other."
            )
        return text


def calibrate(rows: Iterable[dict], other_incidents: Sequence[Sequence[str]] = ()) -> Calibration:
    """Agreement with ``rows`` (``truth``, ``claim``, and ``match`` for the matcher or ``stated`` for the ceiling's
    rule, or both), and cross-incident matches among ``other_incidents``."""
    rows = list(rows)
    labelled = [(str(r["truth"]), str(r["claim"]), bool(r["match"])) for r in rows if "match" in r]
    stated_verdicts = [stated(str(r["truth"]), [str(r["claim"])]) == bool(r["stated"]) for r in rows if "stated" in r]
    verdicts = [(compare(truth, claim).matched, expected) for truth, claim, expected in labelled]
    cross = [
        compare(a, b).matched
        for i, first in enumerate(other_incidents)
        for j, second in enumerate(other_incidents)
        if i != j
        for a in first
        for b in second
    ]
    return Calibration(
        pairs=len(verdicts),
        agree=sum(got == expected for got, expected in verdicts),
        positives=sum(expected for _, expected in verdicts),
        positives_matched=sum(got and expected for got, expected in verdicts),
        negatives=sum(not expected for _, expected in verdicts),
        negatives_rejected=sum(not got and not expected for got, expected in verdicts),
        cross_pairs=len(cross),
        cross_matched=sum(cross),
        stated_pairs=len(stated_verdicts),
        stated_agree=sum(stated_verdicts),
    )
