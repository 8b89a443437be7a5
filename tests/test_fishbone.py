"""Fishbone: causes and factors grouped as People, Process, Technology, Environment; Mermaid diagrams that parse."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from conftest import fulltext_case_params, load_real_incident

from pm_agent.analysis.causes.fishbone import build_fishbone, mermaid_label
from pm_agent.analysis.evidence import read_incident
from pm_agent.analysis.factors import contributing_factors
from pm_agent.analysis.whys.chain import run_five_whys
from pm_agent.models import Evidence, Incident, TimelineEvent, WhyBranch, WhyChain, WhyStep
from pm_agent.render.analysis import fishbone_text as to_markdown

PUSH_AT = dt.datetime(2024, 5, 14, 9, 58, tzinfo=dt.UTC)
ALERT_AT = dt.datetime(2024, 5, 14, 10, 2, tzinfo=dt.UTC)
CONFIG_ROOT = "Configuration changes reach production without automated validation and a canary stage."
DETECTION_ROOT = "No alert watches the user-facing symptom of this failure mode."
FACTORS = [
    'Candidate: a manual step with no runbook referenced, at 2024-05-14 10:10 UTC: "Cache flushed by hand".',
    'Candidate: recovery needed a repeated attempt, at 2024-05-14 10:12 UTC: "Pipeline re-run after an AWS API timeout".',
    'Candidate: the incident was declared after mitigation, at 2024-05-14 10:30 UTC: "Incident declared".',
    "Detection came from a customer report",
]

# One Mermaid statement per line: a node, or an edge whose ends may define nodes. Labels are
# quoted and hold no character Mermaid could read as syntax (entity codes like #quot; only).
NODE = r'\w+(?:\["(?:[^"\[\]{}()|;<>`#]|#\w+;)*"\]|\{\{"(?:AND|OR)"\}\})?'
STATEMENT = re.compile(rf"^    {NODE}(?: (?:-->|---) {NODE})?$")


def chain() -> WhyChain:
    push = Evidence(at=PUSH_AT, source="deploy", excerpt="Config push: rate-limit rule set to zero")
    alert = Evidence(at=ALERT_AT, source="alert", excerpt="checkout-api 5xx rate above threshold")
    return WhyChain(
        problem='Checkout API returned "500" errors [all regions]',
        branches=[
            WhyBranch(
                label="trigger",
                root_cause=CONFIG_ROOT,
                systemic_kind="safeguard",
                category="config",
                steps=[
                    WhyStep(why="Why?", because="The failure showed.", evidence=[alert], hypothesis=False),
                    WhyStep(why="Why?", because="It followed a change.", evidence=[push], hypothesis=False),
                    WhyStep(why="Why?", because="No validation. To confirm: ..."),
                ],
            ),
            WhyBranch(
                label="detection",
                root_cause=DETECTION_ROOT,
                systemic_kind="alert",
                category="observability",
                steps=[WhyStep(why="Why?", because="A report came first.", evidence=[alert], hypothesis=False)]
                + [WhyStep(why="Why?", because="No alert. To confirm: ...")] * 2,
            ),
        ],
    )


def assert_parses_as_mermaid(diagram: str, header: str) -> None:
    lines = diagram.splitlines()
    assert lines[0] == header
    assert [line for line in lines[1:] if not STATEMENT.match(line)] == []


def test_causes_and_factors_are_grouped_into_the_four_categories():
    fishbone = build_fishbone(chain(), FACTORS)

    assert fishbone.categories == {
        "People": ['On-call had no runbook for a manual step, at 2024-05-14 10:10 UTC: "Cache flushed by hand".'],
        "Process": [
            CONFIG_ROOT,
            'The incident was declared after mitigation, at 2024-05-14 10:30 UTC: "Incident declared".',
        ],
        "Technology": [
            "Config push: rate-limit rule set to zero (deploy, 2024-05-14 09:58 UTC)",
            DETECTION_ROOT,
            "Detection came from a customer report",
        ],
        "Environment": [
            'Recovery needed a repeated attempt, at 2024-05-14 10:12 UTC: "Pipeline re-run after an AWS API timeout".',
        ],
    }


def test_blame_in_a_users_factor_is_reworded_but_quotes_stay_verbatim():
    factors = ['Human error by the operator during the deploy, noted as "operator error" at 10:10']

    fishbone = build_fishbone(chain(), factors)

    assert fishbone.categories["Technology"][-1] == (
        'An action the system did not guard against by the operator during the deploy, noted as "operator error" at 10:10'
    )


def test_the_fishbone_diagram_points_items_to_categories_and_categories_to_the_problem():
    diagram = build_fishbone(chain(), FACTORS[:1]).mermaid

    assert diagram.splitlines() == [
        "flowchart LR",
        '    problem["Checkout API returned #quot;500#quot; errors #91;all regions#93;"]',
        '    c0["People"] --> problem',
        '    c0_1["On-call had no runbook for a manual step, at 2024-05-14 10:10 UTC: #quot;Cache…"] --> c0',
        '    c1["Process"] --> problem',
        '    c1_1["Configuration changes reach production without automated validation and a…"] --> c1',
        '    c2["Technology"] --> problem',
        '    c2_1["Config push: rate-limit rule set to zero #40;deploy, 2024-05-14 09:58 UTC#41;"] --> c2',
        '    c2_2["No alert watches the user-facing symptom of this failure mode."] --> c2',
    ]
    assert_parses_as_mermaid(diagram, "flowchart LR")


def test_the_fault_tree_puts_an_or_over_branches_and_an_and_where_a_trigger_met_a_missing_safeguard():
    fishbone = build_fishbone(chain(), FACTORS, fault_tree=True)

    assert fishbone.fault_tree_mermaid.splitlines() == [
        "flowchart TB",
        '    top["Checkout API returned #quot;500#quot; errors #91;all regions#93;"]',
        '    top --- or0{{"OR"}}',
        '    or0 --- b1{{"AND"}}',
        '    b1 --- b1_event["Config push: rate-limit rule set to zero #40;deploy, 2024-05-14 09:58 UTC#41;"]',
        '    b1 --- b1_gap["trigger: Configuration changes reach production without automated validation…"]',
        '    or0 --- b2["detection: No alert watches the user-facing symptom of this failure mode."]',
    ]
    assert_parses_as_mermaid(fishbone.fault_tree_mermaid, "flowchart TB")


def test_no_fault_tree_is_built_unless_asked():
    assert build_fishbone(chain(), FACTORS).fault_tree_mermaid is None


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ('say "hi"', '"say #quot;hi#quot;"'),
        (
            "a [b] {c} (d) | e; f <g> `h` #1 & i",
            '"a #91;b#93; #123;c#125; #40;d#41; #124; e#59; f #lt;g#gt; #96;h#96; #35;1 #38; i"',
        ),
        ("line one\nline two", '"line one line two"'),
    ],
)
def test_labels_escape_everything_mermaid_could_read_as_syntax(text, label):
    assert mermaid_label(text) == label


def test_markdown_wraps_the_diagrams_in_mermaid_fences_with_the_grouped_lists():
    fishbone = build_fishbone(chain(), [], fault_tree=True)

    assert to_markdown(fishbone) == "\n".join(
        [
            '## Fishbone: Checkout API returned "500" errors [all regions]',
            "",
            "```mermaid",
            fishbone.mermaid,
            "```",
            "",
            "### People",
            "- _None identified from the data yet._",
            "",
            "### Process",
            f"- {CONFIG_ROOT}",
            "",
            "### Technology",
            "- Config push: rate-limit rule set to zero (deploy, 2024-05-14 09:58 UTC)",
            f"- {DETECTION_ROOT}",
            "",
            "### Environment",
            "- _None identified from the data yet._",
            "",
            "## Fault tree",
            "",
            "```mermaid",
            fishbone.fault_tree_mermaid,
            "```",
            "",
        ]
    )


def invoices() -> Incident:
    """A release customers noticed first, a rollback that failed, and a gap a responder wrote down."""

    def event(hhmm: str, source: str, text: str) -> TimelineEvent:
        return TimelineEvent(at=dt.datetime.fromisoformat(f"2024-05-14T{hhmm}:00+00:00"), source=source, text=text)

    return Incident(
        id="bill-1",
        title="Invoices emailed with wrong totals",
        services=["billing"],
        events=[
            event("08:00", "deploy", "billing 5.1 rolled out with the new tax rounding"),
            event("09:40", "chat", "Support: a customer reports their invoice total is wrong"),
            event("10:10", "deploy", "Rollback to billing 5.0 failed: the migration could not be reversed"),
            event("10:25", "chat", "The rounding change was not covered by tests for currencies without decimals"),
            event("10:45", "deploy", "Hotfix 5.1.1 deployed restoring the old rounding"),
            event("10:50", "metric", "New invoices match expected totals again; recovered"),
        ],
    )


def fishbone_of(incident: Incident, fault_tree: bool = False):
    reading = read_incident(incident)
    chain = run_five_whys(incident.title, incident, reading=reading)
    return chain, build_fishbone(chain, contributing_factors(reading), fault_tree=fault_tree)


def test_a_draft_fishbone_puts_the_change_under_technology_and_each_factor_where_its_words_place_it():
    incident = invoices()
    incident.events = [e for e in incident.events if "not covered" not in e.text]

    _, fishbone = fishbone_of(incident)

    assert fishbone.categories == {
        "People": [],
        "Process": [
            "A recovery step did not work: Rollback to billing 5.0 failed: the migration could not be reversed "
            "(deploy, 2024-05-14 10:10 UTC).",
        ],
        "Technology": [
            "billing 5.1 rolled out with the new tax rounding (deploy, 2024-05-14 08:00 UTC)",
            "A person noticed the failure before monitoring did: Support: a customer reports their invoice total is "
            "wrong (chat, 2024-05-14 09:40 UTC). No alert appears in the data before it.",
        ],
        "Environment": [],
    }


def test_a_branch_whose_systemic_cause_is_still_open_adds_nothing_made_up_to_the_fishbone():
    _, fishbone = fishbone_of(invoices())

    items = [item for group in fishbone.categories.values() for item in group]
    assert [item for item in items if "2024-05-14 " not in item] == []


def test_a_gap_the_data_records_appears_once_in_the_fishbone():
    _, fishbone = fishbone_of(invoices())

    items = [item for group in fishbone.categories.values() for item in group]
    assert len([item for item in items if "not covered by tests" in item]) == 1


def test_the_fault_tree_shows_an_open_branch_with_its_question_not_an_empty_label():
    _, fishbone = fishbone_of(invoices(), fault_tree=True)

    assert [line for line in fishbone.fault_tree_mermaid.splitlines() if line.startswith("    or0 --- b")] == [
        '    or0 --- b1{{"AND"}}',
        '    or0 --- b2["detection: open: What would have alerted on #quot;Support: a customer reports their…"]',
        '    or0 --- b3["recovery: open: What would have let #quot;Rollback to billing 5.0 failed: the…"]',
    ]


@pytest.mark.shared_data
@pytest.mark.parametrize("name", fulltext_case_params())
def test_real_fishbones_parse_and_keep_every_established_cause_and_factor(shared_data, name):
    incident = load_real_incident(name)

    chain, fishbone = fishbone_of(incident, fault_tree=True)

    assert_parses_as_mermaid(fishbone.mermaid, "flowchart LR")
    assert_parses_as_mermaid(fishbone.fault_tree_mermaid, "flowchart TB")
    items = [item for group in fishbone.categories.values() for item in group]
    assert [b.root_cause for b in chain.branches if b.root_cause and b.root_cause not in items] == []
    assert len(items) >= len(set(contributing_factors(read_incident(incident))))
