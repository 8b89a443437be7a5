"""Model-assisted use cases, with the scripted fake backend: the model writes, the offline checks judge."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from conftest import EXAMPLE

from pm_agent.analysis.actions.smart import lint_actions
from pm_agent.analysis.claims import unsupported_claims
from pm_agent.analysis.evidence import read_incident
from pm_agent.assisted import (
    ActionPlan,
    BlamelessText,
    DraftSections,
    assisted_actions,
    assisted_draft,
    assisted_five_whys,
    assisted_rewrite,
)
from pm_agent.backends import BackendUnavailable, FakeBackend, OfflineBackend
from pm_agent.models import ActionItem, BlamelessReport, Evidence, Usage, WhyBranch, WhyChain, WhyStep
from pm_agent.service import PostmortemService


@pytest.fixture(scope="module")
def incident():
    return PostmortemService().load([EXAMPLE])


@pytest.fixture(scope="module")
def offline(incident):
    return PostmortemService().draft(incident)


def at(hhmm: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"2026-03-10T{hhmm}:00+00:00")


def step(why, because, *evidence):
    return WhyStep(
        why=why,
        because=because,
        evidence=[Evidence(at=at(t), source=s, excerpt=x) for t, s, x in evidence],
        hypothesis=not evidence,
    )


CHAIN = WhyChain(
    problem="payments-api returned 502s after a connection-pool change",
    to_confirm=False,
    branches=[
        WhyBranch(
            label="Pool sizing",
            steps=[
                step(
                    "Why did payments-api return 502s?",
                    "Its pgbouncer pool was exhausted and requests waited.",
                    ("14:24", "chat", "pgbouncer shows clients waiting, pool exhausted"),
                ),
                step(
                    "Why was the pool exhausted?",
                    "Config v412 lowered pool_size from 80 to 20.",
                    ("13:58", "deploy", "pool_size lowered from 80 to 20"),
                ),
                step(
                    "Why could a smaller pool reach production?",
                    "No load test exercises pool_size changes.",
                    ("14:31", "chat", "the pool_size change was not covered by the load test"),
                ),
            ],
            root_cause=(
                "Connection-pool settings can change without a load test that exercises them, at 2026-03-10 14:31 UTC: "
                '"the pool_size change was not covered by the load test".'
            ),
            systemic_kind="test",
            category="config",
        )
    ],
)
ACTION = ActionItem(
    id="A1",
    title="Add a CI load test that runs on every pgbouncer pool_size change",
    done_when="A pool_size change that makes clients wait in pgbouncer fails the CI load test.",
    owner="Platform engineering lead",
    due=dt.date(2026, 4, 21),
    horizon="short",
    priority="P1",
    hierarchy="engineering",
    automated_check=True,
    addresses='The untested change at 2026-03-10 13:58 UTC: "pgbouncer pool_size lowered from 80 to 20".',
)
SECTIONS = DraftSections(
    summary=(
        "On 2026-03-10 config v412 lowered the pgbouncer pool_size of payments-api from 80 to 20 at 13:58 UTC. "
        "Errors began at 14:02 UTC, an alert detected them at 14:09 UTC, and a rollback to v411 at 14:38 UTC "
        "mitigated them. The incident was resolved at 15:05 UTC, 1 h 03 min after impact began."
    ),
    root_cause=CHAIN,
    contributing_factors=[
        'The change was not load-tested, at 2026-03-10 14:31 UTC: "the pool_size change was not covered '
        'by the load test".'
    ],
    action_items=[ACTION],
    lessons=[
        "Connection-pool limits are capacity settings and need load tests like code: the pool went from 80 to 20 at "
        '2026-03-10 13:58 UTC: "pgbouncer pool_size lowered from 80 to 20" and was exhausted at 2026-03-10 14:24 UTC: '
        '"pool exhausted since 14:02".'
    ],
)


def test_the_offline_backend_returns_the_offline_draft_unchanged(incident, offline):
    assert assisted_draft(incident, offline, OfflineBackend()) == offline


def test_a_model_draft_replaces_the_prose_and_keeps_every_computed_fact(incident, offline):
    backend = FakeBackend(SECTIONS)

    draft = assisted_draft(incident, offline, backend)

    label = "fake fake-model"
    expected_chain = CHAIN.model_copy(
        update={"generated_by": label, "services": offline.root_cause.services, "severity": offline.root_cause.severity}
    )
    assert draft.model_dump(exclude={"score"}) == offline.model_copy(
        update={
            "summary": SECTIONS.summary,
            "root_cause": expected_chain,
            "contributing_factors": SECTIONS.contributing_factors,
            "action_items": [ACTION],
            "lessons": SECTIONS.lessons,
            "generated_by": label,
            "usage": Usage(calls=1),
            "open_questions": [
                q for q in offline.open_questions if not q.topic.startswith(("root cause", "systemic cause"))
            ],
        }
    ).model_dump(exclude={"score"})
    assert draft.score is not None and draft.score != offline.score
    [(request, rendered)] = backend.history
    assert (request.prompt, request.tool_name) == ("draft", "record_draft_sections")
    assert "2026-03-10" not in rendered.system  # the cached instructions are the same for every incident
    assert rendered.task.startswith("The incident date is 2026-03-10.")
    assert '"text": "Identified config v412 as the likely trigger' in rendered.data


def test_a_model_writing_the_draft_is_sent_each_events_tags_and_the_drafts_open_questions(incident, offline):
    backend = FakeBackend(SECTIONS)

    assisted_draft(incident, offline, backend)

    [(request, rendered)] = backend.history
    sent = json.loads(request.data["incident"])
    assert [(e["text"], e["tags"]) for e in sent["events"]] == [
        (t.text, sorted(t.tags)) for t in read_incident(incident).events
    ]
    assert json.loads(request.data["offline_draft"])["open_questions"] == [q.question for q in offline.open_questions]
    assert request.data["incident"] in rendered.user and request.data["offline_draft"] in rendered.user


def test_a_model_writing_the_five_whys_is_sent_each_events_tags_and_the_open_steps_of_the_offline_chain(
    incident, offline
):
    backend = FakeBackend(CHAIN)

    assisted_five_whys("payments-api returned 502s", incident, offline.root_cause, backend)

    [(request, _)] = backend.history
    sent_chain = json.loads(request.data["offline_chain"])
    asked = [s["question"] for b in sent_chain["branches"] for s in b["steps"] if s["question"]]
    asked += [b["root_cause_question"] for b in sent_chain["branches"] if b["root_cause_question"]]
    assert asked == [s.question for b in offline.root_cause.branches for s in b.steps if s.question] + [
        b.root_cause_question for b in offline.root_cause.branches if b.root_cause_question
    ]
    assert all("tags" in e for e in json.loads(request.data["incident"])["events"])


def test_a_model_five_whys_step_that_names_nothing_of_the_incident_stays_a_hypothesis_and_is_flagged(incident, offline):
    template = "Changes reach production without a canary stage."
    answer = CHAIN.model_copy(
        update={
            "branches": [
                CHAIN.branches[0].model_copy(
                    update={
                        "steps": [
                            *CHAIN.branches[0].steps,
                            WhyStep(why="Why was it not caught?", because=template, hypothesis=False),
                        ]
                    }
                )
            ]
        }
    )

    chain = assisted_five_whys("payments-api returned 502s", incident, offline.root_cause, FakeBackend(answer))

    assert (chain.branches[0].steps[-1].because, chain.branches[0].steps[-1].hypothesis) == (template, True)
    assert chain.backend_notes == [f"1 line(s) of analysis name nothing of this incident: {template}"]


def test_a_model_draft_with_invented_figures_blame_evidence_and_owners_is_flagged(incident, offline):
    invented = SECTIONS.model_copy(
        update={
            "summary": SECTIONS.summary
            + " About 12,000 users were affected because Bob forgot to load test the change.",
            "root_cause": CHAIN.model_copy(
                update={
                    "branches": [
                        CHAIN.branches[0].model_copy(
                            update={
                                "steps": [
                                    step(
                                        "Why did payments-api return 502s?",
                                        "The pool was exhausted.",
                                        ("14:50", "chat", "pool exhausted"),
                                    ),
                                    *CHAIN.branches[0].steps[1:],
                                ]
                            }
                        )
                    ]
                }
            ),
            "action_items": [ACTION.model_copy(update={"owner": "Alice Smith"})],
        }
    )

    draft = assisted_draft(incident, offline, FakeBackend(invented))

    assert draft.root_cause.branches[0].steps[0].evidence == [] and draft.root_cause.branches[0].steps[0].hypothesis
    assert draft.action_items[0].owner is None
    assert [q.topic for q in draft.open_questions] == [
        *(q.topic for q in offline.open_questions if not q.topic.startswith(("root cause", "systemic cause"))),
        "fidelity: unsupported figures",
        "blameless language",
        "actions: SMART",
    ]
    fidelity = next(q for q in draft.open_questions if q.topic == "fidelity: unsupported figures")
    assert fidelity.question == (
        "The model-written draft states 12000, which the incident data does not contain: "
        "where does each come from? Remove any that cannot be sourced."
    )
    assert draft.backend_notes[:4] == [
        "Removed 1 evidence citation(s) that match no input event; those steps are marked to confirm.",
        "Owner 'Alice Smith' of 'Add a CI load test that runs on every pgbouncer pool_size change' is not in the input "
        "or the roster; left to assign.",
        "Not supported by a cited event, marked to confirm: About 12,000 users were affected because Bob forgot to load "
        "test the change.",
        "Unsupported figures: 12000.",
    ]
    assert draft.summary.endswith(
        "Hypothesis (to confirm): About 12,000 users were affected because Bob forgot to load test the change."
    )
    assert draft.backend_notes[4].startswith('Blame language "Bob forgot')


def test_a_failing_model_leaves_the_offline_draft_saying_why(incident, offline):
    failure = BackendUnavailable(
        "Claude was unavailable (529) on all 5 attempts", reason="anthropic 529 after 5 attempts"
    )

    draft = assisted_draft(incident, offline, FakeBackend(failure))

    assert draft == offline.model_copy(
        update={
            "generated_by": "offline (fallback: anthropic 529 after 5 attempts)",
            "backend_notes": [
                "The fake backend failed, so this is the offline result: Claude was unavailable (529) on all 5 attempts"
            ],
        }
    )


def test_a_model_five_whys_keeps_only_evidence_from_the_input(incident, offline):
    answer = CHAIN.model_copy(
        update={
            "branches": [
                CHAIN.branches[0].model_copy(
                    update={
                        "steps": [
                            step("Why?", "A retry storm at 17:53 overloaded it.", ("17:53", "metric", "retry storm")),
                        ]
                    }
                )
            ]
        }
    )

    chain = assisted_five_whys("payments-api returned 502s", incident, offline.root_cause, FakeBackend(answer))

    assert chain.branches[0].steps == [step("Why?", "A retry storm at 17:53 overloaded it.")]
    assert (chain.to_confirm, chain.generated_by) == (True, "fake fake-model")
    assert chain.backend_notes == [
        "Removed 1 evidence citation(s) that match no input event; those steps are marked to confirm.",
        "Unsupported figures (not in the incident data): 17, 53.",
        "1 line(s) of analysis name nothing of this incident: A retry storm at 17:53 overloaded it.",
    ]


def test_a_model_proposing_actions_is_sent_what_the_data_leaves_open_about_the_causes():
    from pm_agent.analysis.drafting import draft_postmortem
    from pm_agent.assisted.analysis import ActionProposals
    from pm_agent.models import Incident, TimelineEvent

    unexplained = Incident(
        id="s-1",
        title="Search returns empty results",
        services=["search-api"],
        events=[
            TimelineEvent(at=at("10:00"), source="deploy", text="search-index mapping v12 rolled out"),
            TimelineEvent(at=at("10:05"), source="alert", text="FIRING SearchEmptyResults: queries return nothing"),
            TimelineEvent(at=at("10:30"), source="metric", text="Queries return results again; recovered"),
        ],
    )
    offline = draft_postmortem(unexplained, score=False)
    backend = FakeBackend(ActionProposals(action_items=[ACTION]))

    assisted_actions(unexplained, offline, backend)

    [(request, _)] = backend.history
    branches = offline.root_cause.branches
    expected = [s.question for b in branches for s in b.steps if s.question] + [
        b.root_cause_question for b in branches if b.root_cause_question
    ]
    assert expected and json.loads(request.data["causes"])["open_questions"] == expected


TEXT = "Dana forgot to run the migration before the 14:05 deploy of v412."
OFFLINE_REPORT = BlamelessReport(original=TEXT, rewritten="The 14:05 deploy of v412 ran before the migration.")


def test_a_model_rewrite_without_blame_and_with_every_figure_is_taken():
    answer = BlamelessText(
        rewritten="The 14:05 deploy of v412 ran without the migration; no pipeline step checks for it."
    )

    report = assisted_rewrite(TEXT, OFFLINE_REPORT, FakeBackend(answer))

    assert report == BlamelessReport(
        original=TEXT, rewritten=answer.rewritten, findings=OFFLINE_REPORT.findings, generated_by="fake fake-model"
    )


def test_a_model_rewrite_that_changes_a_figure_is_rejected_for_the_offline_one():
    answer = BlamelessText(rewritten="The 14:15 deploy ran without the migration.")

    report = assisted_rewrite(TEXT, OFFLINE_REPORT, FakeBackend(answer))

    assert report == OFFLINE_REPORT.model_copy(
        update={
            "generated_by": "offline (fallback: fake rewrite rejected)",
            "backend_notes": ["The model's rewrite added figures: 15.", "The model's rewrite dropped figures: 5."],
        }
    )


def test_a_model_rewrite_that_keeps_blame_is_rejected_for_the_offline_one():
    report = assisted_rewrite(TEXT, OFFLINE_REPORT, FakeBackend(BlamelessText(rewritten=TEXT)))

    assert report.rewritten == OFFLINE_REPORT.rewritten
    assert report.generated_by == "offline (fallback: fake rewrite rejected)"
    assert report.backend_notes[0].startswith("The model's rewrite kept blame: Blame language \"Dana forgot")


def test_model_actions_are_linted_and_never_get_an_owner_nobody_gave(incident, offline):
    vague = ActionItem(title="Improve monitoring", owner="Sam from SRE")

    plan = assisted_actions(
        incident, offline, FakeBackend({"action_items": [ACTION.model_dump(mode="json"), vague.model_dump()]})
    )

    items = [ACTION, vague.model_copy(update={"id": "A2", "owner": None})]
    assert plan.model_dump(exclude={"backend_notes"}) == ActionPlan(
        action_items=items,
        lint=lint_actions(items),
        generated_by="fake fake-model",
        usage=Usage(calls=1),
    ).model_dump(exclude={"backend_notes"})
    assert (
        plan.backend_notes[0]
        == "Owner 'Sam from SRE' of 'Improve monitoring' is not in the input or the roster; left to assign."
    )
    assert plan.backend_notes[1].startswith("Action 'A2' is not SMART yet: ")


def test_offline_actions_come_with_their_lint(incident, offline):
    assert assisted_actions(incident, offline, OfflineBackend()) == ActionPlan(
        action_items=offline.action_items, lint=lint_actions(offline.action_items)
    )


def test_a_model_cause_stated_as_fact_without_a_citation_is_kept_but_marked_to_confirm(incident, offline):
    stamped = SECTIONS.model_copy(
        update={
            "root_cause": CHAIN.model_copy(
                update={
                    "branches": [
                        CHAIN.branches[0].model_copy(
                            update={"root_cause": "Changes reach production without a canary stage."}
                        )
                    ]
                }
            ),
            "lessons": ["A rehearsed runbook with one-step rollback would have shortened recovery."],
        }
    )

    draft = assisted_draft(incident, offline, FakeBackend(stamped))

    branch = draft.root_cause.branches[0]
    assert (branch.root_cause, branch.root_cause_question) == (
        "",
        "Is this the systemic cause: Changes reach production without a canary stage?",
    )
    assert draft.lessons == [
        "Hypothesis (to confirm): A rehearsed runbook with one-step rollback would have shortened recovery."
    ]
    generic = next(q for q in draft.open_questions if q.topic == "analysis: not specific")
    assert "A rehearsed runbook with one-step rollback would have shortened recovery." in generic.question
    assert unsupported_claims(draft, incident) == []
