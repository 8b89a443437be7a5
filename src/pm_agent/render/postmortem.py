"""Rendering a postmortem as Markdown: the document teams review, share and score."""

from __future__ import annotations

from pm_agent.ingest.timeparse import format_minutes, format_utc
from pm_agent.models import ActionItem, Evidence, Figure, Metric, Postmortem, TimelineEvent, UndatedEvent, WhyBranch
from pm_agent.models.analysis import TITLE_CITATION
from pm_agent.render.analysis import because_clause

SCORE_HEADING = "Rubric score"
IMPACT_LABELS = {
    "users_affected": "Users affected",
    "user_share": "Share of users",
    "duration": "Duration stated",
    "requests_failed": "Failed requests",
    "error_rate": "Error rate",
    "revenue": "Revenue",
    "sla_breach": "SLA / SLO",
    "support_tickets": "Support tickets",
}


def render_markdown(pm: Postmortem) -> str:
    """The whole postmortem as Markdown, sections in the order reviewers read them."""
    sections = [
        _header(pm),
        _section("Summary", pm.summary),
        _section("Impact", _impact(pm)),
        _section("Timeline (UTC)", _timeline(pm.timeline, pm.undated_events)),
        _section("Detection and response", _metrics(pm.metrics)),
        _section("Root cause", _root_cause(pm)),
        _section(
            "Contributing factors", _bullets(pm.contributing_factors, "None the data shows; see the open questions.")
        ),
        _section("Action items", _actions(pm.action_items)),
        _section("What went well", _bullets(pm.what_went_well, "Not evident from the data; see the open questions.")),
    ]
    if pm.what_went_wrong:  # nothing in the data: no section, rather than filler
        sections.append(_section("What went wrong", _bullets(pm.what_went_wrong, "")))
    sections.append(
        _section("Lessons learned", _bullets(pm.lessons, "None the data shows yet; see the open questions."))
    )
    if pm.related_incidents:
        sections.append(_section("Related incidents", _related(pm)))
    sections.append(
        _section("Open questions", _bullets([f"**{q.topic}**: {q.question}" for q in pm.open_questions], "None."))
    )
    if pm.score:
        sections.append(_section(SCORE_HEADING, _score(pm)))
    return "\n\n".join(sections).rstrip() + "\n"


def _header(pm: Postmortem) -> str:
    facts = [
        f"**Status:** {pm.status} (blameless)",
        f"**Incident:** `{pm.incident_id}`",
        f"**Date:** {pm.date.isoformat()}" if pm.date else "**Date:** unknown",
        f"**Severity:** {pm.severity or 'not stated'}",
        f"**Services:** {', '.join(pm.services) if pm.services else 'not stated'}",
        f"**Drafted by:** pm-agent ({pm.generated_by})",
    ]
    return f"# Postmortem: {pm.title}\n\n" + "  \n".join(facts)


def _section(title: str, body: str) -> str:
    return f"## {title}\n\n{body.strip()}"


def _bullets(items: list[str], empty: str) -> str:
    return "\n".join(f"- {item}" for item in items) if items else f"_{empty}_"


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _impact(pm: Postmortem) -> str:
    figures: list[Figure] = pm.impact.figures()
    lines = []
    if pm.impact_statements:
        lines.append("What the data says users and systems saw:")
        lines += [f"- {_cited(e)}" for e in pm.impact_statements]
        lines.append("")
    if figures:
        lines += ["| Dimension | As stated in the input | Source |", "|---|---|---|"]
        lines += [f"| {IMPACT_LABELS[f.kind]} | {_cell(f.quote)} | {_cell(f.ref or '')} |" for f in figures]
    missing = [IMPACT_LABELS[kind] for kind in pm.impact.missing()]
    if missing:
        lines.append("")
        lines.append(f"**Not in the data yet:** {', '.join(missing)} (see the open questions).")
    return "\n".join(lines).strip()


def _timeline(events: list[TimelineEvent], undated: list[UndatedEvent] | None = None) -> str:
    if not events and not undated:
        return "_No timestamped events._"
    lines = ["| Time (UTC) | Phase | Source | Event |", "|---|---|---|---|"]
    for e in events:
        actor = f"{e.actor}: " if e.actor else ""
        stamp = format_utc(e.at).removesuffix(" UTC")
        stamp = f"~{stamp} (approximate)" if e.approximate else stamp
        lines.append(f"| {stamp} | {e.phase or ''} | {e.source} | {_cell(actor + e.text)} |")
    for u in undated or []:
        stated = f"{u.time_text} (undated)" if u.time_text else "undated"
        lines.append(f"| {_cell(stated)} | | {u.source} | {_cell(u.text)} |")
    return "\n".join(lines)


def _cited(e: Evidence) -> str:
    if e.time_text == TITLE_CITATION:
        return f'{TITLE_CITATION}: "{_cell(e.excerpt)}"'
    when = format_utc(e.at) if e.at else (f"{e.time_text} (undated)" if e.time_text else "undated")
    return f'{when} {e.source}: "{_cell(e.excerpt)}"'


def _metrics(metrics: list[Metric]) -> str:
    lines = ["| Metric | Value | Basis |", "|---|---|---|"]
    for m in metrics:
        value = format_minutes(m.minutes) if m.minutes is not None else "unknown"
        basis = m.basis if m.minutes is not None else (m.question or "")
        lines.append(f"| {m.label} | {value} | {_cell(basis)} |")
    return "\n".join(lines)


def _root_cause(pm: Postmortem) -> str:
    parts = []
    stated = [f for f in pm.findings if f.kind != "link"]
    links = [f for f in pm.findings if f.kind == "link"]
    if stated:
        parts.append("**What the data states**\n\n" + "\n".join(f"- {f.statement}" for f in stated))
    else:
        parts.append("**What the data states:** nothing about the cause; the questions below would establish it.")
    if links:
        parts.append("**What the data connects**\n\n" + "\n".join(f"- {f.statement}" for f in links))
    chain = pm.root_cause
    if chain is None or not chain.branches:
        parts.append("_No causal chain could be built from the data; run the Five Whys in the review._")
        return "\n\n".join(parts)
    head = f"**Five Whys** for: {chain.problem}"
    if chain.first_signal is not None:  # the problem and how it first showed: the head, not an answer to a why
        head += f"  \nFirst signal: {_cited(chain.first_signal)}"
    parts.append(head)
    parts += [_branch(branch) for branch in chain.branches]
    return "\n\n".join(parts)


def _branch(branch: WhyBranch) -> str:
    lines = [f"### {branch.label}", ""]
    for step in branch.steps:
        if step.question:
            lines.append(f"- **Why?** {step.why}  \n  **Not established by the data.** Ask: {step.question}")
            continue
        if step.evidence:
            status = "evidence: " + "; ".join(_cited(e) for e in step.evidence)
            status += "".join(
                f"; stated by the team: {_cell(fact)}" for fact in step.facts
            )  # the team's, beside the data
        elif step.facts:
            status = "stated by the team"
        else:
            status = "hypothesis, to confirm"
        lines.append(f"- **Why?** {step.why}  \n  **Because** {because_clause(step.because)} _({status})_")
    lines.append("")
    if branch.root_cause:
        lines.append(f"**Systemic cause ({branch.systemic_kind}):** {branch.root_cause}")
    else:
        lines.append(f"**Systemic cause:** not established by the data. Ask: {branch.root_cause_question}")
    return "\n".join(lines)


def _actions(items: list[ActionItem]) -> str:
    if not items:
        return "_No actions proposed yet._"
    linked = any(a.tracker_url for a in items)  # the Issue column appears once the actions are filed in a tracker
    lines = [
        "| ID | Action | Done when | Owner | Due | Priority | Prevention level | Status | Addresses |"
        + (" Issue |" if linked else ""),
        "|---|---|---|---|---|---|---|---|---|" + ("---|" if linked else ""),
    ]
    for a in items:
        due = a.due.isoformat() if a.due else "to set"
        check = " (automated check)" if a.automated_check else ""
        owner = a.owner or ("not in the data" if a.status == "done" else "to assign")
        lines.append(
            f"| {a.id} | {_cell(a.title)}{check} | {_cell(a.done_when)} | {_cell(owner)} | {due} "
            f"| {a.priority or ''} | {a.hierarchy or ''} | {a.status} | {_cell(a.addresses)} |"
            + (f" {_issue_link(a)} |" if linked else "")
        )
    return "\n".join(lines)


def _issue_link(a: ActionItem) -> str:
    """``[#12](url)`` or ``[OPS-7](url)``, with ``(closed)`` when the tracker says so."""
    if not a.tracker_url:
        return ""
    name = a.tracker_url.rstrip("/").rsplit("/", 1)[-1]
    label = f"#{name}" if name.isdigit() else name
    state = " (closed)" if a.tracker_state == "closed" else ""
    return f"[{_cell(label)}]({a.tracker_url.replace(')', '%29').replace(' ', '%20')}){state}"


def _related(pm: Postmortem) -> str:
    lines = ["| Incident | Date | Why it matched |", "|---|---|---|"]
    for r in pm.related_incidents:
        date = r.date.isoformat() if r.date else ""
        lines.append(f"| `{r.shown_id}`: {_cell(r.title)} | {date} | {_cell('; '.join(r.why))} |")
    return "\n".join(lines)


def _score(pm: Postmortem) -> str:
    score = pm.score
    verdict = "passes" if score.passed else "does not pass yet"
    lines = [
        f"Weighted score **{score.weighted_average:.2f} / 5**: the draft {verdict} (pass mark {score.pass_mark}).",
        "",
        "| Criterion | Weight | Score | To raise it |",
        "|---|---|---|---|",
    ]
    for c in score.criteria:
        lines.append(f"| {c.name} | {c.weight} | {c.score:g} | {_cell('; '.join(c.to_improve[:2]))} |")
    return "\n".join(lines)
