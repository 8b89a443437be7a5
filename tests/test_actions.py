"""SMART actions: proposed from a why-chain and factors, and the linter that checks any action."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import fulltext_cases, load_real_incident

from pm_agent.engines.actions import lint_actions, propose_actions
from pm_agent.engines.causes import contributing_factors
from pm_agent.engines.five_whys import run_five_whys
from pm_agent.models import ActionItem, WhyBranch, WhyChain, WhyStep

INCIDENT_DATE = dt.date(2024, 5, 14)
STEPS = [WhyStep(why="Why?", because="Because.")] * 3
CONFIG_ROOT = "Configuration changes reach production without automated validation and a canary stage."
DETECTION_ROOT = (
    "No alert watches the user-facing symptom of this failure mode, so the failure was not detected by monitoring first."
)
RECOVERY_ROOT = (
    "No rehearsed runbook or one-step rollback for this failure mode, so recovery relied on diagnosis and repair "
    "during the incident."
)
REPORT_FACTOR = 'Candidate: detection came from a report, not an alert, at 2024-05-14 10:40 UTC: "Users report 500s".'
RETRY_FACTOR = 'Candidate: recovery needed a repeated attempt, at 2024-05-14 11:05 UTC: "Pipeline re-run after a timeout".'


def chain(severity: str | None = "SEV2") -> WhyChain:
    return WhyChain(
        problem="Checkout API returning 500 errors", services=["checkout-api"], severity=severity,
        branches=[
            WhyBranch(label="trigger", steps=STEPS, root_cause=CONFIG_ROOT, systemic_kind="safeguard", category="config"),
            WhyBranch(label="detection", steps=STEPS, root_cause=DETECTION_ROOT, systemic_kind="alert", category="observability"),
            WhyBranch(label="recovery", steps=STEPS, root_cause=RECOVERY_ROOT, systemic_kind="process", category="human-process"),
        ],
    )


def summary(actions: list[ActionItem]) -> list[tuple]:
    return [(a.id, a.title, a.owner, a.due, a.horizon, a.priority, a.hierarchy, a.automated_check) for a in actions]


# --- proposing ------------------------------------------------------------------------------

def test_each_root_cause_and_factor_gets_an_owned_dated_action_highest_prevention_level_first():
    actions = propose_actions(chain(), [REPORT_FACTOR, RETRY_FACTOR], INCIDENT_DATE)

    assert summary(actions) == [
        ("A1", "Add automated validation and a canary stage for configuration changes to checkout-api",
         "Platform engineering lead", dt.date(2024, 6, 25), "short", "P1", "engineering", True),
        ("A2", "Add an alert on the user-facing symptom of this failure for checkout-api",
         "Observability lead", dt.date(2024, 5, 21), "immediate", "P1", "engineering", True),
        ("A3", "Add automatic retry with back-off for transient provider errors in the recovery pipeline of checkout-api",
         "Platform engineering lead", dt.date(2024, 6, 25), "short", "P2", "engineering", False),
        ("A4", "Write and rehearse a runbook with a one-step rollback for this failure mode of checkout-api",
         "Service owner of checkout-api", dt.date(2024, 6, 25), "short", "P2", "administrative", False),
    ]


def test_an_action_says_which_causes_it_addresses_and_merges_causes_that_need_the_same_fix():
    actions = propose_actions(chain(), [REPORT_FACTOR], INCIDENT_DATE)

    assert [a.addresses for a in actions] == [
        f"trigger: {CONFIG_ROOT}",
        f"detection: {DETECTION_ROOT}; {REPORT_FACTOR}",
        f"recovery: {RECOVERY_ROOT}",
    ]


def test_due_dates_count_from_the_incident_date_by_horizon():
    actions = propose_actions(chain(), [], INCIDENT_DATE)

    assert [(a.horizon, a.due - INCIDENT_DATE, a.due_note) for a in actions] == [
        ("short", dt.timedelta(days=42), "42 days after the incident date (short horizon)."),
        ("immediate", dt.timedelta(days=7), "7 days after the incident date (immediate horizon)."),
        ("short", dt.timedelta(days=42), "42 days after the incident date (short horizon)."),
    ]


def test_without_the_incident_date_no_due_date_is_invented_and_the_note_asks_for_it():
    actions = propose_actions(chain(), [], None)

    assert [(a.due, a.due_note) for a in actions] == [
        (None, "Needs the incident date: due 42 days after it (short horizon)."),
        (None, "Needs the incident date: due 7 days after it (immediate horizon)."),
        (None, "Needs the incident date: due 42 days after it (short horizon)."),
    ]
    assert {p.code for lint in lint_actions(actions) for p in lint.problems} == {"no_due_date"}


def test_a_roster_names_the_owner_for_its_area_or_service():
    roster = {"platform": "Dana Ortiz", "checkout-api": "Sam Okafor"}

    actions = propose_actions(chain(), [], INCIDENT_DATE, roster)

    assert [a.owner for a in actions] == ["Dana Ortiz", "Observability lead", "Sam Okafor"]


def test_a_roster_entry_that_is_a_team_is_not_used_as_an_owner():
    actions = propose_actions(chain(), [], INCIDENT_DATE, {"platform": "SRE team"})

    assert actions[0].owner == "Platform engineering lead"


def test_a_severe_incident_raises_and_a_minor_one_lowers_priorities():
    assert [a.priority for a in propose_actions(chain("SEV1"), [], INCIDENT_DATE)] == ["P1", "P1", "P2"]
    assert [a.priority for a in propose_actions(chain("SEV4"), [], INCIDENT_DATE)] == ["P2", "P2", "P3"]


def test_an_automated_check_is_added_when_no_cause_calls_for_one():
    recovery_only = WhyChain(
        problem="Slow recovery", services=[],
        branches=[WhyBranch(label="recovery", steps=STEPS, root_cause=RECOVERY_ROOT, systemic_kind="process")],
    )

    actions = propose_actions(recovery_only, [], INCIDENT_DATE)

    assert [(a.title, a.automated_check, a.owner) for a in actions] == [
        ("Add an alert on the user-facing symptom of this failure for the affected service", True, "Observability lead"),
        ("Write and rehearse a runbook with a one-step rollback for this failure mode of the affected service", False,
         "Service owner of the affected service"),
    ]


def test_proposed_actions_pass_the_linter():
    actions = propose_actions(chain(), [REPORT_FACTOR, RETRY_FACTOR, "Alert noise on the orders dashboard"], INCIDENT_DATE)

    assert [(lint.action.id, lint.problems) for lint in lint_actions(actions) if not lint.smart] == []


# --- linting --------------------------------------------------------------------------------

GOOD = ActionItem(
    title="Add a CI check that rejects rate-limit rules set to zero for checkout-api",
    done_when="CI rejects a test change that sets a rate limit to zero",
    owner="Platform engineering lead", due=dt.date(2024, 6, 25), hierarchy="engineering",
)


def problems(**changes) -> list[str]:
    return [p.code for p in lint_actions([GOOD.model_copy(update=changes)])[0].problems]


def test_a_specific_owned_dated_measurable_action_is_smart():
    lint = lint_actions([GOOD])[0]

    assert (lint.smart, lint.problems) == (True, [])


def test_a_vague_unowned_undated_unmeasured_action_gets_every_problem_with_what_to_change():
    lint = lint_actions([ActionItem(title="Improve monitoring")])[0]

    assert lint.smart is False
    assert [(p.code, p.message) for p in lint.problems] == [
        ("vague", '"Improve monitoring" is vague: name the exact change and the system it applies to, '
                  "e.g. 'Add a CI check that rejects invalid rate-limit rules for checkout'."),
        ("no_measure", "No observable completion criterion: set done_when to what will be verifiably true when it is "
                       "done, e.g. 'CI rejects a test change that breaks the config schema'."),
        ("no_owner", "No owner: name one accountable role (e.g. 'Service owner of checkout') or a person from the roster."),
        ("no_due_date", "No due date: set one from the incident date (immediate within 7 days, short within 6 weeks, "
                        "long within 6 months)."),
    ]


@pytest.mark.parametrize(
    "title",
    ["Be more careful when deploying", "Look into the database slowness", "Investigate", "Investigate the issue"],
)
def test_vague_titles_are_flagged_even_with_a_measure(title):
    assert problems(title=title) == ["vague"]


def test_investigating_with_a_named_object_and_a_measure_is_acceptable():
    assert problems(title="Investigate why the cache hit ratio of checkout-api dropped",
                    done_when="Findings published with a dashboard link") == []


def test_improving_without_a_measure_is_vague():
    assert problems(title="Improve alerting for checkout-api", done_when="") == ["vague", "no_measure"]


@pytest.mark.parametrize("owner", ["SRE team", "engineering", "devs", "the platform team", "Everyone"])
def test_a_team_is_not_an_owner(owner):
    assert problems(owner=owner) == ["team_owner"]


@pytest.mark.parametrize("owner", ["Dana Ortiz", "Incident commander role", "Service owner of checkout-api", "@dana"])
def test_a_role_or_a_person_is_an_owner(owner):
    assert problems(owner=owner) == []


@pytest.mark.parametrize("done_when", ["Done", "improved", "TBD", "monitoring is better"])
def test_a_completion_criterion_nobody_can_observe_is_flagged(done_when):
    assert problems(done_when=done_when) == ["no_measure"]


def test_training_alone_is_flagged():
    assert problems(title="Train engineers on the deploy checklist", hierarchy="training") == ["training_only"]
    assert problems(title="Remind everyone to review configs", hierarchy=None) == ["training_only"]


def test_training_paired_with_an_engineering_control_is_acceptable():
    assert problems(title="Add a deploy checklist check to CI and share it at the team meeting") == []


def test_a_title_too_short_to_act_on_is_flagged():
    assert problems(title="Dashboards") == ["not_specific"]


# --- the real public incidents ---------------------------------------------------------------

@pytest.mark.shared_data
@pytest.mark.parametrize("name", fulltext_cases())
def test_real_actions_are_smart_owned_by_roles_and_include_an_automated_check(shared_data, name):
    incident = load_real_incident(name)
    chain_ = run_five_whys(incident.title, incident)

    actions = propose_actions(chain_, contributing_factors(incident), incident.events[0].at.date())

    assert [(lint.action.id, lint.problems) for lint in lint_actions(actions) if not lint.smart] == []
    assert any(a.automated_check for a in actions)
    assert [a.id for a in actions] == [f"A{n}" for n in range(1, len(actions) + 1)]
    role_words = ("lead", "role", "Service owner of")
    assert all(any(word in a.owner for word in role_words) for a in actions)


@pytest.mark.parametrize("title", ["Make deploys safer", "Ensure this never happens again"])
def test_wishes_without_a_mechanism_are_vague_even_with_an_owner_and_a_date(title):
    from pm_agent.models import ActionItem

    lint = lint_actions([ActionItem(title=title, owner="Platform engineering lead", done_when="CI blocks a bad change",
                                    due="2026-01-01")])[0]
    assert [p.code for p in lint.problems] == ["vague"]


def test_a_department_name_is_a_team_not_an_owner():
    from pm_agent.models import ActionItem

    lint = lint_actions([ActionItem(title="Add a CI check for pool_size", owner="Networking",
                                    done_when="CI blocks a bad change", due="2026-01-01")])[0]
    assert [p.code for p in lint.problems] == ["team_owner"]
