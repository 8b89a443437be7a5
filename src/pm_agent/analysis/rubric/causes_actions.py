"""The analysis criteria of the rubric: root cause depth and corrective actions, judged on substance.

Both read a :class:`~pm_agent.analysis.rubric.reading.Reading`, so only declarative statements
count: a question, a hypothesis or a line marked "to confirm" earns nothing, however well formed.

- **Root cause depth** credits the causes a document states about *this* incident: how many
  distinct ones, how many explain a mechanism ("because", "due to"), how many reach a systemic
  condition (a missing test, alert, safeguard or process). Each statement counts by its
  coherence with the rest of the document, and the cause sections as a whole by theirs, so a root
  cause pasted from another incident loses most of its credit.
- **Corrective actions** credits actions that address the causes the same document states
  (shared components and mechanisms, beyond the incident's own name), then their form: a
  concrete verb, an owner, a due date, a preventive safeguard. Form on an action about
  something else earns a quarter of its credit.
"""

from __future__ import annotations

from pm_agent.analysis.rubric.reading import ECHO, Action, Reading, Statement, is_open
from pm_agent.analysis.rubric.text import Judgement, Signals, plural, quoted
from pm_agent.markdown.document import ActionEntry

GROUP_FIT_FLOOR = 0.15  # cause sections sharing less of their terms with the rest are about another incident
GROUP_FIT_FULL = 0.45
VAGUE_AIM = 0.5  # an investigation of a cause ('look into', 'investigate') is half an action on it
ECHO_CAP = 1.0  # all the statements that only echo a timeline entry count as one cause at most


def root_cause_depth(reading: Reading, signals: Signals) -> Judgement:
    """Distinct, coherent causes; mechanisms; systemic conditions; never a person as the cause.

    Causes are the statements of the cause sections (weighted by how far they, one by one and
    together, are about this incident) and the causal sentences of the summary.
    """
    j = Judgement()
    causes = reading.in_group("causes")
    fit = group_fit(causes)
    summary = [s for s in reading.statements if s.summary_cause and s.echo < ECHO]
    in_sections = counted(causes) * fit
    stated = in_sections + len(summary)
    explained = sum(s.weight for s in causes if s.echo < ECHO) * fit
    _stated(causes, in_sections, explained, fit, summary, j)
    links = counted([s for s in causes if s.causal]) * fit + len(summary)
    if links >= 1:
        j.credit(
            0.5 if links < 3 else 1.0, f"{plural(round(links), 'causal explanation')} ('because', 'due to', 'caused')"
        )
    else:
        j.improve("explain the mechanism: how each cause led to the failure ('because', 'due to')")
    if stated >= 2:
        j.credit(
            0.5 if stated < 4 else 1.0,
            f"{plural(round(stated), 'distinct cause or factor', 'distinct causes or factors')} about this incident",
        )
    else:
        j.improve("list the contributing factors: the conditions that let the trigger become an incident")
    _systemic(causes + summary + reading.of("what_went_wrong"), fit, signals, j)
    _withheld(reading, j)
    blamed = signals.found("person_cause_phrases", "\n".join(s.text for s in causes + summary))
    if blamed:
        j.credit(-1.0 * min(len(blamed), 2), f"the analysis ends at people: {quoted(blamed)}")
        j.improve("replace 'human error' with the conditions that made the error easy and undetected")
    return j


def counted(statements: list[Statement]) -> float:
    """The weight of ``statements`` as distinct causes: statements that only echo one timeline entry add up to at
    most ECHO_CAP however many there are (restating the timeline line by line is not an analysis)."""
    echoes = sum(s.weight for s in statements if s.echo >= ECHO)
    return sum(s.weight for s in statements if s.echo < ECHO) + min(ECHO_CAP, echoes)


def group_fit(statements: list[Statement]) -> float:
    """How far a group of statements, taken together, is about this incident (0 to 1)."""
    total = sum(s.terms.specific_weight() for s in statements)
    if not total:
        return 0.0
    share = sum(s.coherence * s.terms.specific_weight() for s in statements) / total
    return max(0.0, min(1.0, (share - GROUP_FIT_FLOOR) / (GROUP_FIT_FULL - GROUP_FIT_FLOOR)))


def _stated(
    causes: list[Statement], in_sections: float, explained: float, fit: float, summary: list[Statement], j: Judgement
) -> None:
    if explained >= 0.5:
        j.credit(1.0, f"the cause sections state {plural(len(causes), 'cause')} about this incident")
    elif in_sections >= 0.5:
        j.credit(0.5, "the cause sections restate the timeline's events: they say what happened, not why")
        j.improve("explain beyond the record of events: what made the failure possible, in the system's own terms")
    elif causes and fit <= 0:
        j.credit(
            -1.0,
            "the cause sections share almost no components or mechanisms with the summary, timeline "
            "and actions: they read as another incident's causes, which misleads more than a gap",
        )
        j.improve("tie the root cause to this incident: name the components and the change the timeline shows")
    elif causes:
        j.found(f"the cause sections share few terms with the summary, timeline and actions ({round(100 * fit)}% fit)")
        j.improve("tie the root cause to this incident: name the components and the change the timeline shows")
    if explained < 0.5 and summary:
        j.credit(1.0 if in_sections < 0.5 else 0.5, "a cause is explained in the summary, not in its own section")
        j.improve("give the root cause its own section")
    elif explained < 0.5 and not summary:
        j.improve("add a Root cause section that explains the mechanism, not just what broke")


def _systemic(statements: list[Statement], fit: float, signals: Signals, j: Judgement) -> None:
    # A restated event that happens to say 'unexpectedly' or 'no alert' is the record, not an analysis of it.
    systemic = [s for s in statements if s.weight > 0 and s.echo < ECHO and signals.occurs("systemic_terms", s.text)]
    reach = sum(s.weight for s in systemic) * fit
    if reach >= 1:
        j.credit(0.5 if reach < 2 else 1.0, f"reaches systemic conditions: {quoted([s.text for s in systemic], 2, 60)}")
    else:
        j.improve("follow each cause to the systemic gap that allowed it: a missing test, alert, safeguard or process")


def _withheld(reading: Reading, j: Judgement) -> None:
    """Questions and hypotheses in the cause sections are a plan for an analysis, not one."""
    open_lines = reading.withheld_in("causes")
    if open_lines:
        j.found(
            f"{plural(len(open_lines), 'sentence')} of the analysis still open (questions, hypotheses, 'to confirm')"
        )
        j.improve("answer the open questions and confirm the hypotheses with evidence (logs, diffs, graphs)")


def corrective_actions_quality(reading: Reading, signals: Signals) -> Judgement:
    """Actions that address the stated causes, then their form: specific, owned, dated, preventive.

    Every credit is weighted by each action's aim (how far it addresses a cause the document
    states), so a well-formed action about something else earns nothing, and a vague one
    ('look into', 'investigate') counts for half its aim.
    """
    j = Judgement()
    actions = reading.actions
    if not actions:
        j.found("no action items found")
        j.improve("add action items, each with a specific verb, an owner and a due date")
        return j
    n = len(actions)
    vague = {id(a) for a in actions if _is_vague(a.entry.text, signals)}
    aims = {id(a): a.aim * (VAGUE_AIM if id(a) in vague else 1.0) for a in actions}
    total = sum(aims.values())
    j.credit(0.0 if total < 1 else 0.25 if total < 2.5 else 0.5, f"{plural(n, 'action item')}")
    aimed = [a for a in actions if a.aim >= 0.5]
    j.credit(1.5 * total / n, f"{len(aimed)} of {n} address the causes this document states")
    if len(aimed) < n:
        off = [a.entry.text for a in actions if a.aim < 0.5]
        j.found(f"{len(off)} share little with the stated causes: {quoted(off, 2, 50)}")
        j.improve("tie each action to a cause the document states: name the component or mechanism it changes")
    _form(actions, aims, vague, signals, j)
    return j


def _form(actions: list[Action], aims: dict[int, float], vague: set[int], signals: Signals, j: Judgement) -> None:
    """Owner, due date, concrete verb and prevention, each weighted by the action's aim."""
    n = len(actions)
    owned = [a for a in actions if a.entry.owner and not is_open(a.entry.owner)]  # 'not in the data' names nobody
    dated = [a for a in actions if a.entry.due]
    j.credit(0.5 * sum(aims[id(a)] for a in owned) / n, f"{len(owned)} of {n} have an owner")
    j.credit(0.5 * sum(aims[id(a)] for a in dated) / n, f"{len(dated)} of {n} have a due date")
    if len(owned) < n:
        j.improve("give each action an owner (a named person or role)")
    if len(dated) < n:
        j.improve("give each action a due date")
    specific = [a for a in actions if id(a) not in vague and _is_specific(a.entry, signals)]
    j.credit(
        0.5 * sum(aims[id(a)] for a in specific) / n,
        f"{len(specific)} of {n} are specific (a concrete verb, a ticket, or done)",
    )
    if vague:
        j.found(f"{len(vague)} vague: {quoted([a.entry.text for a in actions if id(a) in vague], 2, 50)}")
        j.improve(
            "rewrite vague actions ('improve', 'look into', 'be careful') as a concrete change with a done-criterion"
        )
    if not any(a.entry.done_when or any(c.isdigit() for c in a.entry.text) for a in actions):
        j.improve("make actions measurable: say what 'done' looks like (a threshold, a test, a date)")
    _prevention(actions, vague, signals, j)


def _prevention(actions: list[Action], vague: set[int], signals: Signals, j: Judgement) -> None:
    """Concrete actions on this incident's causes that add a test, alert, guardrail or automation."""
    preventive = [
        a.entry.text
        for a in actions
        if a.aim >= 0.5 and signals.found("prevention_terms", a.entry.text) and id(a) not in vague
    ]
    training = [a for a in actions if signals.found("training_terms", a.entry.text)]
    if preventive:
        j.credit(0.5, f"{len(preventive)} preventive on this incident's causes (tests, alerts, guardrails, automation)")
    else:
        j.improve("add at least one preventive action on a stated cause: an automated test, alert or guardrail")
    if training and len(training) == len(actions):
        j.credit(-0.5, "every action relies on people being trained or careful")


def _is_specific(action: ActionEntry, signals: Signals) -> bool:
    """Done already, tracked by a ticket, or opening with a concrete verb ('Add', 'Pin', 'Block')."""
    return (
        action.status == "done"
        or bool(action.ticket)
        or bool(signals.starts_with("specific_verbs", _head(action.text, signals)))
    )


def _is_vague(text: str, signals: Signals) -> bool:
    return bool(signals.starts_with("vague_starts", _head(text, signals)) or signals.found("vague_anywhere", text))


def _head(text: str, signals: Signals) -> str:
    """The action's instruction: a leading label when it reads as one ('Add alerting: why...'), else what follows it
    ('Static analysis: Implement a linter rule...')."""
    label, sep, rest = text.partition(":")
    if not sep or not rest.strip() or len(label.split()) > 8:
        return text
    if signals.starts_with("specific_verbs", label) or signals.starts_with("vague_starts", label):
        return label
    return rest.strip()
