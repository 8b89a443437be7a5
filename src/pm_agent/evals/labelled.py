"""The labelled-set suites: the engines' verdicts against labels written before the engines.

- ``whys``: the chain review on user chains labelled sound or flawed (``whys.jsonl``);
- ``blameless``: blame detection on labelled sentences, precision and recall, and whether
  each rewrite keeps the sentence's facts and drops its blame (``blameless.jsonl``);
- ``actions``: the SMART linter's verdict and problem codes on labelled actions (``actions.jsonl``).

Each table groups the items (by label, category or problem code); the items that disagree
with their label are listed as the suite's failures, each with the reason.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable

from pydantic import ValidationError

from pm_agent.evals.cases import EvalError
from pm_agent.evals.context import RunContext
from pm_agent.evals.results import CaseResult, Column, SuiteResult
from pm_agent.models import ActionItem
from pm_agent.models.analysis import ActionProblem

PROBLEM_CODES: tuple[str, ...] = ActionProblem.model_fields["code"].annotation.__args__
BLAME_CATEGORIES = ("person_as_cause", "counterfactual", "character_judgement", "human_error", "hindsight", "role_blame")
SHOWN_TEXT = 90


# --- whys -----------------------------------------------------------------------------------

def run_whys(ctx: RunContext) -> SuiteResult:
    """The chain review against labelled chains: flawed ones flagged, sound ones passed."""
    from pm_agent.engines.five_whys import review_chain

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
        name="whys", title="5 Whys: the chain review on labelled chains",
        columns=[Column("items", "Chains", "count"), Column("agreement", "Review agrees", "rate")],
        cases=[_group("sound chains", sound), _group("flawed chains", flawed)],
        metrics=metrics, tracked=("agreement", "flawed_flagged", "sound_passed"),
        headline_name="agreement", row_name="Label", failures=failures, notes=[f"{len(rows)} labelled chains."],
    )


def _whys_failure(row: dict, ok: bool, review) -> CaseResult:
    if ok:
        reason = f"labelled sound ({row.get('reason', '')}), the review flagged it: {review.findings[0]}"
    else:
        reason = f"labelled flawed ({row.get('reason', '')}), the review passed it"
    return CaseResult(case_id=str(row.get("id", "?")), title=_short(" → ".join(row["steps"])), headline=0.0,
                      passed=False, reasons=[reason])


# --- blameless ------------------------------------------------------------------------------

def run_blameless(ctx: RunContext) -> SuiteResult:
    """Blame detection precision and recall; rewrites that keep every fact and leave no blame."""
    from pm_agent.engines.blameless import is_blameful, rewrite_blameless

    rows = ctx.dataset("blameless.jsonl")
    judged = []
    for row in rows:
        text = _field(row, "text", str, "blameless.jsonl")
        labelled = bool(_field(row, "blameful", bool, "blameless.jsonl"))
        rewrite = rewrite_blameless(text).rewritten if labelled else None
        judged.append((row, labelled, is_blameful(text), rewrite))
    metrics = _blame_metrics(judged, is_blameful)
    return SuiteResult(
        name="blameless", title="Blameless: detection and rewriting on labelled sentences",
        columns=[
            Column("items", "Sentences", "count"), Column("flagged", "Flagged", "rate"),
            Column("facts_kept", "Rewrite keeps facts", "rate"), Column("clean", "Rewrite blameless", "rate"),
        ],
        cases=_blame_groups(judged, is_blameful), metrics=metrics,
        tracked=("precision", "recall", "fact_preservation", "rewrite_clean"), headline_name="agreement", row_name="Category",
        failures=[f for f in (_blame_failure(j, is_blameful) for j in judged) if f is not None],
        notes=[f"{len(rows)} labelled sentences, {sum(j[1] for j in judged)} of them blameful."],
    )


def _blame_metrics(judged: list, is_blameful) -> dict[str, float]:
    true_pos = sum(1 for _, labelled, predicted, _ in judged if labelled and predicted)
    predicted_pos = sum(1 for _, _, predicted, _ in judged if predicted)
    labelled_pos = sum(1 for _, labelled, _, _ in judged if labelled)
    precision = true_pos / predicted_pos if predicted_pos else 0.0
    recall = true_pos / labelled_pos if labelled_pos else 0.0
    rewrites = [(row, rewrite) for row, labelled, _, rewrite in judged if labelled]
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(2 * precision * recall / (precision + recall), 4) if precision + recall else 0.0,
        "fact_preservation": _rate(_keeps_facts(row, rewrite) for row, rewrite in rewrites),
        "rewrite_clean": _rate(not is_blameful(rewrite) for _, rewrite in rewrites),
    }


def _blame_groups(judged: list, is_blameful) -> list[CaseResult]:
    groups = []
    for category in BLAME_CATEGORIES:
        members = [j for j in judged if j[1] and category in (j[0].get("categories") or [])]
        if members:
            groups.append(_blame_group(category, members, is_blameful))
    neutral = [j for j in judged if not j[1]]
    if neutral:
        flagged = _rate(predicted for _, _, predicted, _ in neutral)
        groups.append(CaseResult(case_id="not blameful", scores={"items": float(len(neutral)), "flagged": flagged},
                                 headline=round(1 - flagged, 4), passed=flagged == 0))
    return groups


def _blame_group(category: str, members: list, is_blameful) -> CaseResult:
    flagged = _rate(predicted for _, _, predicted, _ in members)
    scores = {
        "items": float(len(members)),
        "flagged": flagged,
        "facts_kept": _rate(_keeps_facts(row, rewrite) for row, _, _, rewrite in members),
        "clean": _rate(not is_blameful(rewrite) for _, _, _, rewrite in members),
    }
    rates = (scores["flagged"], scores["facts_kept"], scores["clean"])
    return CaseResult(case_id=category, scores=scores, headline=flagged, passed=all(rate == 1 for rate in rates))


def _blame_failure(item, is_blameful) -> CaseResult | None:
    row, labelled, predicted, rewrite = item
    reasons = []
    if labelled and not predicted:
        reasons.append(f"blame missed ({', '.join(row.get('categories') or [])})")
    if predicted and not labelled:
        reasons.append("false alarm: the sentence is labelled blameless")
    if labelled and rewrite is not None:
        lost = [fact for fact in row.get("facts") or [] if fact not in rewrite]
        if lost:
            reasons.append(f"rewrite lost facts {lost}: \"{_short(rewrite)}\"")
        if is_blameful(rewrite):
            reasons.append(f"rewrite still blameful: \"{_short(rewrite)}\"")
    if not reasons:
        return None
    return CaseResult(case_id=str(row.get("id", "?")), title=_short(row["text"]), headline=0.0, passed=False, reasons=reasons)


def _keeps_facts(row: dict, rewrite: str) -> bool:
    return all(fact in rewrite for fact in row.get("facts") or [])


# --- actions --------------------------------------------------------------------------------

def run_actions(ctx: RunContext) -> SuiteResult:
    """The SMART linter against labelled actions: the verdict, and each problem code."""
    from pm_agent.engines.actions import lint_actions

    rows = ctx.dataset("actions.jsonl")
    items = [_action(row) for row in rows]
    lints = lint_actions(items)
    pairs = []
    for row, lint in zip(rows, lints, strict=True):
        labelled = set(_field(row, "problems", list, "actions.jsonl"))
        pairs.append((row, bool(_field(row, "smart", bool, "actions.jsonl")), labelled, lint, {p.code for p in lint.problems}))
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
        name="actions", title="Actions: the SMART linter on labelled actions",
        columns=[Column("items", "Labelled", "count"), Column("reported", "Reported", "count"),
                 Column("precision", "Precision", "rate"), Column("recall", "Recall", "rate")],
        cases=groups, metrics=metrics, tracked=("verdict_agreement", "problem_precision", "problem_recall"),
        headline_name="recall", row_name="Problem", failures=failures, notes=[f"{len(rows)} labelled actions."],
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
        case_id=code, scores={"items": float(labelled), "reported": float(reported), "precision": precision, "recall": recall},
        headline=recall, passed=precision in (None, 1.0) and recall in (None, 1.0),
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
    return CaseResult(case_id=name, scores={"items": float(len(outcomes)), "agreement": rate}, headline=rate, passed=rate == 1)


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
