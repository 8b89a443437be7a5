"""Plans about capacity: a limit a fix raised, a resource the data shows growing, and one it says ran out.

Each reviews or caps the resource and alerts before it runs out, naming the limit, the component and the
resource in the data's own words.
"""

from __future__ import annotations

import re

from pm_agent.analysis import vocabulary as vocab
from pm_agent.analysis.actions.plan import (
    FINDING_QUOTE_WORDS,
    Plan,
    clause_parts,
    first_words,
    lower_article,
)
from pm_agent.analysis.evidence import Reading
from pm_agent.analysis.limits import LOAD_ROSE_RE, raised_limit, shows_at_limit
from pm_agent.analysis.quoting import cite, quote
from pm_agent.analysis.tagging import specific_stems

EXHAUSTED_RE = re.compile(
    r"\b(?:not enough|ran out of|run(?:s|ning)? out of|no (?:more )?free|exhausted (?:all|the|its)?)\s+"
    r"(?P<resource>(?:(?!(?:in|on|of|for|to|at|and|so|because)\b)[\w/.-]+ ?){1,4}"
    r"(?:(?<= )(?:in|on|of|for) (?:the |its |their )?[A-Za-z][\w/.-]*"
    r"(?: (?!(?:in|on|of|for|to|at|and|so|because)\b)[A-Za-z][\w/.-]*){0,2})?)",
    re.I,
)
# "On-call found /var/log ..." -> "/var/log ...": who saw it is not what grows.
SEEN_LEAD_RE = re.compile(r"^.{0,40}?\b(?:found|noticed|saw|sees|shows?|showed|spotted)\s+(?:that\s+)?", re.I)
GROWTH_RE = re.compile(
    r"^(?P<subject>[^,;:]{3,80}?)\s+(?:(?P<aux>has been|have been|has|have|had|is|are|was|were|kept|keeps|still)\s+)?"
    r"(?P<growing>(?:grow(?:s|ing|n)|climb(?:s|ing|ed)|fill(?:s|ing|ed)(?: up)?|leak(?:s|ing|ed))\b[^.;]{0,100})",
    re.I,
)


def limit_plans(reading: Reading) -> list[Plan]:
    """A fix that raised a limit: review the limit against the load the data states, and alert when the component
    runs at it, in the limit's and the component's own words. Not where the data says the limit was never reached
    (:func:`raised_limit` finds none then)."""
    raised = raised_limit(reading)
    if raised is None:
        return []
    who = raised.component or "it"
    limit = raised.limit if raised.component in raised.limit else f"{raised.limit} of {raised.component}"
    load = (
        f'the load the data states ("{first_words(_clause(quote(raised.load.event), LOAD_ROSE_RE))}")'
        if raised.load
        else ""
    )
    shown = sorted(raised.at_limit, key=lambda t: not shows_at_limit(t))
    seen = f' ("{first_words(quote(shown[0].event), FINDING_QUOTE_WORDS)}")' if shown else ""
    at = f", and the data shows it at the limit {cite(shown[0].event)}" if shown else ""
    return [
        Plan(
            title=f"Review {limit} against {load or f'the peak load {who} must take'} and alert when {who} "
            "runs at that limit",
            done_when=f"A load test at {'the load the data states' if load else 'that peak load'} stays under "
            f"{raised.limit}, and a drill that runs {who} at that limit{seen} fires the alert.",
            addresses=f"The fix raised the limit {cite(raised.step.event)}{at}.",
            area="service",
            horizon="short",
            hierarchy="engineering",
            automated_check=True,
        )
    ]


def _clause(text: str, focus: re.Pattern[str]) -> str:
    """The clause of ``text`` that ``focus`` matches ("order volume is up and ..." of "the links land on checkout;
    order volume is up and ..."), else the whole text."""
    clauses = clause_parts(text)
    return next((c for c in clauses if focus.search(c)), text).strip(" .,;:")


def growth_plans(reading: Reading) -> list[Plan]:
    """A resource the data shows growing, filling or leaking: cap it and alert before it runs out, in the data's
    own words ("/var/log on the index nodes growing by 2 GB per hour" -> "Cap /var/log on the index nodes ...")."""
    for tagged in reading.tagged("growth"):
        if not tagged.has("finding", "observation", "symptom"):
            continue
        for clause in (c.strip() for c in clause_parts(tagged.text)):
            match = GROWTH_RE.match(SEEN_LEAD_RE.sub("", clause))
            if match is None or len(specific_stems(match["subject"])) < 2:
                continue
            subject, growing = (
                lower_article(match["subject"].strip(" ,:")),
                first_words(match["growing"].strip(" ,.;:")),
            )
            return [
                Plan(
                    title=f"Cap {subject} and alert well before it runs out: it {_tense(match['aux'], growing)}{growing}",
                    done_when=f"A limit holds {subject} below what it can take, and an alert fires in a drill that "
                    f'makes it grow the way the data shows ("{growing}").',
                    addresses=f"The data shows it growing {cite(tagged.event, vocab.TAG_PATTERNS['growth'])}.",
                    area="service",
                    horizon="short",
                    hierarchy="engineering",
                    automated_check=True,
                )
            ]
    return []


def exhaustion_plans(reading: Reading) -> list[Plan]:
    """A resource the data says ran out ("not enough free IP addresses in its subnets"): keep headroom and alert
    before it runs out, naming the resource as the data does."""
    for tagged in reading.events:
        match = EXHAUSTED_RE.search(tagged.text)
        if match is None or len(specific_stems(match["resource"])) < 2:
            continue
        resource = match["resource"].strip(" *_,.;:")
        return [
            Plan(
                title=f"Keep headroom in {resource} and alert well before it runs out",
                done_when=f"An alert fires in a drill that uses up {resource} the way the data shows "
                f'("{first_words(match.group(0).strip(" *_"))}"), while headroom remains.',
                addresses=f"The data shows it running out {cite(tagged.event, EXHAUSTED_RE)}.",
                area="platform",
                horizon="short",
                hierarchy="engineering",
                automated_check=True,
            )
        ]
    return []


def _tense(aux: str | None, growing: str) -> str:
    """The auxiliary before a growth verb in "it ... growing": "had grown", "kept growing", "was growing", "grows"."""
    aux = (aux or "").lower()
    if aux in ("has", "have", "had"):
        return "had "
    if aux in ("kept", "keeps"):
        return "kept "
    return "was " if aux or growing.split(" ", 1)[0].lower().endswith("ing") else ""
