"""The labelled-set suites: the engines' verdicts against labels written before the engines.

- ``whys``: the chain review on user chains labelled sound or flawed (``whys.jsonl``);
- ``blameless``: blame detection on labelled sentences, precision and recall (``blameless.jsonl``),
  and whether each rewrite reads as a sentence, keeps every labelled fact and drops its blame, or
  leaves the sentence as written and flagged (``blameless_rewrites.jsonl``, in six writing styles);
- ``actions``: the SMART linter's verdict and problem codes on labelled actions (``actions.jsonl``).

Each table groups the items (by label, category or problem code); the items that disagree
with their label are listed as the suite's failures, each with the reason.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import ValidationError

from pm_agent.evals.cases import EvalError
from pm_agent.evals.context import RunContext
from pm_agent.evals.results import CaseResult, Column, SuiteResult
from pm_agent.models import ActionItem
from pm_agent.models.analysis import ActionProblem

PROBLEM_CODES: tuple[str, ...] = ActionProblem.model_fields["code"].annotation.__args__
BLAME_CATEGORIES = (
    "person_as_cause",
    "counterfactual",
    "character_judgement",
    "human_error",
    "hindsight",
    "role_blame",
)
SHOWN_TEXT = 90


# --- whys -----------------------------------------------------------------------------------


def run_whys(ctx: RunContext) -> SuiteResult:
    """The chain review against labelled chains: flawed ones flagged, sound ones passed."""
    from pm_agent.analysis.whys.review import review_chain

    rows = ctx.dataset("whys.jsonl")
    verdicts = []
    for row in rows:
        steps = _field(row, "steps", list, "whys.jsonl")
        verdicts.append((row, bool(_field(row, "ok", bool, "whys.jsonl")), review_chain(steps)))
    sound = [review.ok for row, ok, review in verdicts if ok]
    flawed = [not review.ok for row, ok, review in verdicts if not ok]
    flagged = [ok is False for row, ok, review in verdicts if not review.ok]
    metrics = {
        "agreement": _rate(review.ok == ok for row, ok, review in verdicts),
        "flawed_flagged": _rate(flawed),
        "sound_passed": _rate(sound),
        "flag_precision": _rate(flagged),
    }
    failures = [_whys_failure(row, ok, review) for row, ok, review in verdicts if review.ok != ok]
    return SuiteResult(
        name="whys",
        title="5 Whys: the chain review on labelled chains",
        columns=[Column("items", "Chains", "count"), Column("agreement", "Review agrees", "rate")],
        cases=[_group("sound chains", sound), _group("flawed chains", flawed)],
        metrics=metrics,
        tracked=("agreement", "flawed_flagged", "sound_passed"),
        headline_name="agreement",
        row_name="Label",
        failures=failures,
        notes=[f"{len(rows)} labelled chains."],
    )


def _whys_failure(row: dict, ok: bool, review) -> CaseResult:
    if ok:
        reason = f"labelled sound ({row.get('reason', '')}), the review flagged it: {review.findings[0]}"
    else:
        reason = f"labelled flawed ({row.get('reason', '')}), the review passed it"
    return CaseResult(
        case_id=str(row.get("id", "?")),
        title=_short(" → ".join(row["steps"])),
        headline=0.0,
        passed=False,
        reasons=[reason],
    )


# --- blameless ------------------------------------------------------------------------------

REWRITE_STYLES = ("chat", "timeline", "narrative", "summary", "ticket", "passive")


def run_blameless(ctx: RunContext) -> SuiteResult:
    """Blame detection precision and recall on both labelled sets; rewrites that read as English,
    keep every fact and leave no blame (or leave the sentence as written, flagged)."""
    sentences = [_blame_item(row, "blameless.jsonl") for row in ctx.dataset("blameless.jsonl")]
    rewrites = [_blame_item(row, "blameless_rewrites.jsonl") for row in ctx.dataset("blameless_rewrites.jsonl")]
    groups = [_blame_group(c, [i for i in sentences if c in (i.row.get("categories") or [])]) for c in BLAME_CATEGORIES]
    groups.append(_blame_group("not blameful", [i for i in sentences if not i.labelled]))
    groups += [_blame_group(f"style: {s}", [i for i in rewrites if i.row.get("style") == s]) for s in REWRITE_STYLES]
    return SuiteResult(
        name="blameless",
        title="Blameless: detection and rewriting on labelled sentences",
        columns=[
            Column("items", "Sentences", "count"),
            Column("flagged", "Detected", "rate"),
            Column("rewritten", "Rewritten", "rate"),
            Column("intact", "Reads as a sentence", "rate"),
            Column("facts_kept", "Keeps facts", "rate"),
            Column("clean", "No blame left", "rate"),
        ],
        cases=[g for g in groups if g is not None],
        metrics=_blame_metrics(sentences, rewrites),
        tracked=(
            "precision",
            "recall",
            "rewrites_precision",
            "rewrites_recall",
            "fact_preservation",
            "rewrite_clean",
            "rewrite_intact",
            "rewrite_facts_kept",
            "rewritten_share",
        ),
        headline_name="agreement",
        row_name="Category or style",
        failures=[f for f in (_blame_failure(i) for i in sentences + rewrites) if f is not None],
        notes=[
            f"{len(sentences)} labelled sentences, {sum(i.labelled for i in sentences)} of them blameful; "
            f"{len(rewrites)} rewrite cases, {sum(i.labelled for i in rewrites)} of them blameful.",
            "A blameful sentence is either rewritten or flagged and left as written; rewritten means changed "
            "with no blame left (the detector finds none and no labelled residue remains).",
        ],
    )


@dataclass(frozen=True)
class _BlameItem:
    """One labelled sentence and what the engine made of it: detection, output, and the defects
    of the output (broken English, lost facts, blame left in other words)."""

    row: dict
    labelled: bool
    predicted: bool
    output: str
    problems: tuple[str, ...]
    lost: tuple[str, ...]
    residue: tuple[str, ...]
    still_blameful: bool

    @property
    def changed(self) -> bool:
        return self.output != self.row["text"]

    @property
    def clean(self) -> bool:
        """No blame left in the output: no labelled residue, and the detector finds none."""
        return not self.residue and not self.still_blameful

    @property
    def rewritten(self) -> bool:
        """Changed, with no blame left: what the rewrite exists to do."""
        return self.labelled and self.changed and self.clean

    @property
    def flagged_only(self) -> bool:
        """Found and left as written, for the reader to fix."""
        return self.labelled and self.predicted and not self.changed


def _blame_item(row: dict, dataset: str) -> _BlameItem:
    from pm_agent.analysis.blameless.checks import rewrite_problems
    from pm_agent.analysis.blameless.facts import fact_tokens
    from pm_agent.analysis.blameless.rewrite import is_blameful, rewrite_blameless

    text = _field(row, "text", str, dataset)
    labelled = bool(_field(row, "blameful", bool, dataset))
    report = rewrite_blameless(text)
    output = report.rewritten
    changed = output != text
    problems = rewrite_problems(text, output)
    if changed and not labelled:
        problems.append("changed a sentence labelled blameless")
    lost_tokens = Counter(fact_tokens(text)) - Counter(fact_tokens(output))
    lost = [f for f in row.get("facts") or [] if not _fact_kept(f, output)] + sorted(lost_tokens.elements())
    residue = [w for w in row.get("forbidden") or [] if _mentions(output, w)] if changed else []
    return _BlameItem(
        row,
        labelled,
        bool(report.findings),
        output,
        tuple(problems),
        tuple(lost),
        tuple(residue),
        changed and is_blameful(output),
    )


def _blame_metrics(sentences: list[_BlameItem], rewrites: list[_BlameItem]) -> dict[str, float]:
    blameful = [i for i in sentences if i.labelled]
    blameful_rewrites = [i for i in rewrites if i.labelled]
    every = sentences + rewrites
    return {
        **_precision_recall(sentences, ""),
        **_precision_recall(rewrites, "rewrites_"),
        "fact_preservation": _rate(not i.lost for i in blameful),
        "rewrite_clean": _rate(i.clean for i in blameful),
        "rewrite_intact": _rate(not i.problems for i in every),
        "rewrite_facts_kept": _rate(not i.lost for i in every),
        "rewrite_no_residue": _rate(i.clean for i in every),
        "rewritten_share": _rate(i.rewritten for i in blameful + blameful_rewrites),
        "flagged_share": _rate(i.flagged_only for i in blameful + blameful_rewrites),
    }


def _precision_recall(items: list[_BlameItem], prefix: str) -> dict[str, float]:
    true_pos = sum(1 for i in items if i.labelled and i.predicted)
    predicted = sum(1 for i in items if i.predicted)
    labelled = sum(1 for i in items if i.labelled)
    precision = true_pos / predicted if predicted else 0.0
    recall = true_pos / labelled if labelled else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {f"{prefix}precision": round(precision, 4), f"{prefix}recall": round(recall, 4), f"{prefix}f1": round(f1, 4)}


def _blame_group(name: str, members: list[_BlameItem]) -> CaseResult | None:
    if not members:
        return None
    blameful = [i for i in members if i.labelled]
    neutral = [i for i in members if not i.labelled]
    scores = {
        "items": float(len(members)),
        "flagged": _rate(i.predicted for i in members) if not blameful else _rate(i.predicted for i in blameful),
        "rewritten": _rate(i.rewritten for i in blameful) if blameful else None,
        "intact": _rate(not i.problems for i in members),
        "facts_kept": _rate(not i.lost for i in members),
        "clean": _rate(i.clean for i in members),
    }
    wrong = [i for i in members if i.predicted != i.labelled or i.problems or i.lost or not i.clean]
    headline = round(1 - _rate(i.predicted for i in neutral), 4) if not blameful else scores["flagged"]
    return CaseResult(case_id=name, scores=scores, headline=headline, passed=not wrong)


def _blame_failure(item: _BlameItem) -> CaseResult | None:
    reasons = []
    if item.labelled and not item.predicted:
        reasons.append(f"blame missed ({', '.join(item.row.get('categories') or [item.row.get('kind', '?')])})")
    if item.predicted and not item.labelled:
        reasons.append("false alarm: the sentence is labelled blameless")
    shown = f': "{_short(item.output)}"'
    if item.problems:
        reasons.append(f"rewrite broken ({', '.join(item.problems)}){shown}")
    if item.lost:
        reasons.append(f"rewrite lost facts {item.lost}{shown}")
    if not item.clean:
        reasons.append(f"rewrite keeps blame {item.residue or ['(detector)']}{shown}")
    if not reasons:
        return None
    return CaseResult(
        case_id=str(item.row.get("id", "?")),
        title=_short(item.row["text"]),
        headline=0.0,
        passed=False,
        reasons=reasons,
    )


def _fact_kept(fact: str, text: str) -> bool:
    """A labelled fact survives in any inflection: "rolled back" is kept by "roll back"."""
    from pm_agent.analysis.blameless.checks import stem_words

    if fact.lower() in text.lower():
        return True
    wanted, have = stem_words(fact), stem_words(text)
    return bool(wanted) and any(have[k : k + len(wanted)] == wanted for k in range(len(have) - len(wanted) + 1))


def _mentions(text: str, residue: str) -> bool:
    """True when ``residue`` (a name, "sloppy", "should have") is still in ``text``, in any inflection."""
    return re.search(rf"(?i)(?<![\w@]){re.escape(residue)}(?:s|es|ed|ing|['’]s)?(?!\w)", text) is not None


# --- actions --------------------------------------------------------------------------------


def run_actions(ctx: RunContext) -> SuiteResult:
    """The SMART linter against labelled actions: the verdict, and each problem code."""
    from pm_agent.analysis.actions.smart import lint_actions

    rows = ctx.dataset("actions.jsonl")
    items = [_action(row) for row in rows]
    lints = lint_actions(items)
    pairs = []
    for row, lint in zip(rows, lints, strict=True):
        labelled = set(_field(row, "problems", list, "actions.jsonl"))
        pairs.append(
            (row, bool(_field(row, "smart", bool, "actions.jsonl")), labelled, lint, {p.code for p in lint.problems})
        )
    found = sum(len(labelled & got) for _, _, labelled, _, got in pairs)
    reported = sum(len(got) for *_, got in pairs)
    expected = sum(len(labelled) for _, _, labelled, _, _ in pairs)
    metrics = {
        "verdict_agreement": _rate(smart == lint.smart for _, smart, _, lint, _ in pairs),
        "problem_precision": round(found / reported, 4) if reported else 0.0,
        "problem_recall": round(found / expected, 4) if expected else 0.0,
        "exact_match": _rate(labelled == got for _, _, labelled, _, got in pairs),
    }
    groups = [_code_group(code, pairs) for code in PROBLEM_CODES if any(code in p[2] | p[4] for p in pairs)]
    failures = [_action_failure(row, labelled, got) for row, _, labelled, _, got in pairs if labelled != got]
    return SuiteResult(
        name="actions",
        title="Actions: the SMART linter on labelled actions",
        columns=[
            Column("items", "Labelled", "count"),
            Column("reported", "Reported", "count"),
            Column("precision", "Precision", "rate"),
            Column("recall", "Recall", "rate"),
        ],
        cases=groups,
        metrics=metrics,
        tracked=("verdict_agreement", "problem_precision", "problem_recall"),
        headline_name="recall",
        row_name="Problem",
        failures=failures,
        notes=[f"{len(rows)} labelled actions."],
    )


def _action(row: dict) -> ActionItem:
    value = row.get("action")
    try:
        return ActionItem(title=value) if isinstance(value, str) else ActionItem.model_validate(value)
    except ValidationError as exc:
        raise EvalError(f"actions.jsonl {row.get('id', '?')}: not an action item: {exc.errors()[0]['msg']}") from None


def _code_group(code: str, pairs: list) -> CaseResult:
    labelled = sum(code in p[2] for p in pairs)
    reported = sum(code in p[4] for p in pairs)
    both = sum(code in p[2] and code in p[4] for p in pairs)
    precision = round(both / reported, 4) if reported else None
    recall = round(both / labelled, 4) if labelled else None
    return CaseResult(
        case_id=code,
        scores={"items": float(labelled), "reported": float(reported), "precision": precision, "recall": recall},
        headline=recall,
        passed=precision in (None, 1.0) and recall in (None, 1.0),
    )


def _action_failure(row: dict, labelled: set[str], got: set[str]) -> CaseResult:
    action = row.get("action")
    title = action if isinstance(action, str) else (action or {}).get("title", "")
    parts = []
    if labelled - got:
        parts.append(f"missed {sorted(labelled - got)}")
    if got - labelled:
        parts.append(f"reported {sorted(got - labelled)} not in the label")
    return CaseResult(
        case_id=str(row.get("id", "?")), title=_short(title), headline=0.0, passed=False, reasons=["; ".join(parts)]
    )


# --- helpers --------------------------------------------------------------------------------


def _group(name: str, outcomes: list[bool]) -> CaseResult:
    rate = _rate(outcomes)
    return CaseResult(
        case_id=name, scores={"items": float(len(outcomes)), "agreement": rate}, headline=rate, passed=rate == 1
    )


def _field(row: dict, key: str, kind: type, dataset: str):
    value = row.get(key)
    if not isinstance(value, kind):
        raise EvalError(f"{dataset} {row.get('id', '?')}: '{key}' must be a {kind.__name__}")
    return value


def _rate(outcomes: Iterable[bool]) -> float:
    values = [float(o) for o in outcomes]
    return round(statistics.fmean(values), 4) if values else 0.0


def _short(text: str, width: int = SHOWN_TEXT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"
