"""Deterministic fidelity checks on one draft: no model, the same answer every run.

Each check answers pass, fail or not applicable (``None``) with a detail that says what
failed, so that the report can name the reason. They check what the rubric cannot see
from the Markdown alone, because they compare the draft with its input:

- every input time and every required time is on the timeline;
- the required services and phrases are stated;
- the computed durations match the case's expected minutes;
- no number the input does not support, and none of the case's tempting inventions (numbers
  inside a source citation, such as ``timeline.md:line 12`` or digits in a folder name, are
  provenance, not claims, so they do not count: the figures stay the same on every machine);
- no blame language the draft wrote itself (quoting the input verbatim is not the draft's doing);
- every proposed action passes the SMART linter;
- every 5 Whys branch ends at a systemic cause (the chain review has no finding).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pm_agent.evals.cases import EXPECTED_METRICS, CaseError, EvalCase
from pm_agent.guards.fidelity import numbers_in, supported_numbers, unsupported_numbers
from pm_agent.models import Incident, Postmortem
from pm_agent.render.postmortem import SCORE_HEADING

DURATION_TOLERANCE_MINUTES = 1.0
SHOWN = 4


@dataclass(frozen=True)
class Draft:
    """A case's incident, the draft written from it, and the draft's Markdown."""

    incident: Incident
    postmortem: Postmortem
    markdown: str

    @property
    def body(self) -> str:
        """The Markdown without the rubric section (the scorer's own words, not the draft's)."""
        return self.markdown.split(f"## {SCORE_HEADING}", 1)[0]


@dataclass(frozen=True)
class CheckOutcome:
    """Pass (True), fail (False) or not applicable (None), and why."""

    passed: bool | None
    detail: str = ""


@dataclass(frozen=True)
class Check:
    id: str
    name: str
    run: Callable[[EvalCase, Draft], CheckOutcome]


def times_present(case: EvalCase, draft: Draft) -> CheckOutcome:
    """Every input event's time (UTC, to the minute) and every required time of day appear in the draft."""
    wanted = [event.at.strftime("%Y-%m-%d %H:%M") for event in draft.incident.events]
    wanted += list(case.must_contain.times)
    missing = sorted({t for t in wanted if t not in draft.body})
    if missing:
        return CheckOutcome(False, f"missing times: {_some(missing)}")
    return CheckOutcome(True, f"{len(set(wanted))} times present")


def facts_present(case: EvalCase, draft: Draft) -> CheckOutcome:
    """The required services and phrases are stated (case-insensitive)."""
    wanted = list(case.must_contain.services) + list(case.must_contain.phrases)
    if not wanted:
        return CheckOutcome(None, "the case lists no required facts")
    text = draft.body.lower()
    missing = [fact for fact in wanted if fact.lower() not in text]
    if missing:
        return CheckOutcome(False, f"missing facts: {_some(missing)}")
    return CheckOutcome(True, f"{len(wanted)} facts present")


def durations_right(case: EvalCase, draft: Draft) -> CheckOutcome:
    """The draft's metrics match the expected minutes, within a minute."""
    if not case.expected:
        return CheckOutcome(None, "the case expects no durations")
    metrics = {m.name: m.minutes for m in draft.postmortem.metrics}
    wrong = []
    for key, minutes in sorted(case.expected.items()):
        got = metrics.get(EXPECTED_METRICS[key])
        if got is None or abs(got - minutes) > DURATION_TOLERANCE_MINUTES:
            shown = "unknown" if got is None else f"{got:g} min"
            wrong.append(f"{EXPECTED_METRICS[key]} {shown}, expected {minutes:g} min")
    if wrong:
        return CheckOutcome(False, "; ".join(wrong))
    return CheckOutcome(True, f"{len(case.expected)} durations right")


def no_invented_figures(case: EvalCase, draft: Draft) -> CheckOutcome:
    """No number the input does not support, and none of the case's tempting inventions."""
    cited = _provenance_numbers(draft)
    unsupported = [n for n in unsupported_numbers(draft.markdown, draft.incident, draft.postmortem) if n not in cited]
    invented = [item for item in case.must_not_invent if _states(draft.body, item, case, draft)]
    problems = []
    if unsupported:
        problems.append(f"numbers not in the input: {_some(unsupported)}")
    if invented:
        problems.append(f"invented: {_some(invented)}")
    if problems:
        return CheckOutcome(False, "; ".join(problems))
    return CheckOutcome(True, "every number is supported by the input")


def _states(body: str, item: str, case: EvalCase, draft: Draft) -> bool:
    """Whether the draft states ``item``: its numbers when it has some, else the phrase itself."""
    numbers = numbers_in(item)
    if not numbers:
        return item.lower() in body.lower()
    supported = numbers & supported_numbers(draft.incident, draft.postmortem)
    if supported:
        raise CaseError(
            f"case {case.id}: must_not_invent item {item!r} is supported by the input ({', '.join(sorted(supported))}); "
            "list only figures the input does not contain"
        )
    return bool(numbers & numbers_in(body))


def no_blame_language(case: EvalCase, draft: Draft) -> CheckOutcome:
    """No blame language written by the draft itself; input quoted verbatim is left to the input."""
    from pm_agent.analysis.blameless.rewrite import detect_blame

    quoted = "\n".join(_input_texts(draft.incident)).lower()
    own = [f for f in detect_blame(draft.body) if f.text.lower() not in quoted]
    if own:
        return CheckOutcome(False, "blame language: " + _some([f'"{f.text}" ({f.category})' for f in own]))
    return CheckOutcome(True, "no blame language of the draft's own")


def actions_smart(case: EvalCase, draft: Draft) -> CheckOutcome:
    """There are actions, and each passes the SMART linter."""
    from pm_agent.analysis.actions.smart import lint_actions

    actions = draft.postmortem.action_items
    if not actions:
        return CheckOutcome(False, "no action items")
    failing = [lint for lint in lint_actions(actions) if not lint.smart]
    if failing:
        shown = [f"{lint.action.title[:50]} ({', '.join(p.code for p in lint.problems)})" for lint in failing]
        return CheckOutcome(False, f"{len(failing)} of {len(actions)} actions not SMART: {_some(shown, 2)}")
    return CheckOutcome(True, f"{len(actions)} actions SMART")


def whys_systemic(case: EvalCase, draft: Draft) -> CheckOutcome:
    """Every branch of the 5 Whys ends at a systemic cause the chain review accepts, or says openly that the data
    does not establish one and asks the question that would (a draft may not stop at a person or a vague cause)."""
    from pm_agent.analysis.whys.review import review_chain

    chain = draft.postmortem.root_cause
    if chain is None or not chain.branches:
        return CheckOutcome(False, "no 5 Whys chain")
    problems = []
    for branch in chain.branches:
        if not branch.root_cause:
            if not branch.root_cause_question.strip():
                problems.append(f"{branch.label}: no systemic cause and no question that would establish one")
            continue
        review = review_chain([step.because for step in branch.steps if not step.question] + [branch.root_cause])
        if not review.ok:
            problems.append(f"{branch.label}: {review.findings[0]}")
    if problems:
        return CheckOutcome(False, _some(problems, 2))
    open_ends = sum(1 for b in chain.branches if not b.root_cause)
    return CheckOutcome(
        True, f"{len(chain.branches)} branches end at a systemic cause or an open question ({open_ends} open)"
    )


CHECKS: tuple[Check, ...] = (
    Check("times_present", "Times", times_present),
    Check("facts_present", "Facts", facts_present),
    Check("durations_right", "Durations", durations_right),
    Check("no_invented_figures", "No invention", no_invented_figures),
    Check("no_blame_language", "Blameless", no_blame_language),
    Check("actions_smart", "SMART actions", actions_smart),
    Check("whys_systemic", "Systemic whys", whys_systemic),
)


def run_checks(case: EvalCase, draft: Draft) -> dict[str, CheckOutcome]:
    """Every check on one draft, by check id."""
    return {check.id: check.run(case, draft) for check in CHECKS}


def _provenance_numbers(draft: Draft) -> set[str]:
    """Numbers in the source citations a draft prints (file paths and locators), not in any claim."""
    incident = draft.incident
    refs = [*incident.sources, *(str(ref) for event in incident.events for ref in event.refs)]
    figures = [*incident.impact.figures(), *draft.postmortem.impact.figures()]
    refs += [str(figure.ref) for figure in figures if figure.ref]
    return {number for ref in refs for number in numbers_in(ref)}


def _input_texts(incident: Incident) -> list[str]:
    texts = [incident.title, incident.notes]
    texts += [event.text for event in incident.events]
    texts += [event.text for event in incident.undated_events]
    texts += [figure.quote for figure in incident.impact.figures()]
    return texts


def _some(items: list[str], limit: int = SHOWN) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")
