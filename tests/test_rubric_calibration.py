"""The rubric's calibration: degraded copies score below their document, expected orderings hold,
published postmortems score above the drafts of their incidents."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import SHARED_DATA

from pm_agent.analysis.rubric.scorer import score_markdown
from pm_agent.evals.calibration import (
    Doc,
    check_orderings,
    default_calibration_dir,
    evidence_draft,
    load_docs,
    metamorphic_pairs,
    published_vs_drafts,
    run_rubric_calibration,
)
from pm_agent.evals.calibration_variants import (
    BLAME_SENTENCES,
    DEGRADATIONS,
    drop_impact_figures,
    foreign_actions,
    foreign_root_cause,
    generic_actions,
    inject_blame,
    remove_actions,
    remove_timeline,
)
from pm_agent.evals.context import RunContext

CALIBRATION = Path(__file__).resolve().parents[1] / "evals" / "calibration"

SMALL = """\
# Checkout errors after a cache flush

## Summary

On 2 May 2024 checkout failed for 12% of requests for 40 minutes, affecting 3,100 customers, because a script
flushed the Redis session cache. Version 2.4.1 of the script ran on October 3, 2024 in staging first.

## Timeline

- 10:00 script started
- 10:02 errors rise

## Root cause

The script ran FLUSHALL on the session cache, because it was written for staging.

## Action items

- Disable FLUSHALL on the production session cache (owner: platform, due 2024-05-20)

**Action item:** add a dry-run mode to the clean-up script.
"""
OTHER = """\
# DNS failures

## Root cause

CoreDNS ran out of memory because ndots:5 multiplied lookups.

## Action items

- Scale CoreDNS with the cluster-proportional autoscaler
"""


def test_removing_actions_drops_action_sections_and_action_lines_and_nothing_else():
    assert remove_actions(SMALL) == SMALL.split("## Action items")[0].rstrip("\n") + "\n"


def test_foreign_actions_and_root_cause_take_the_other_documents_content():
    assert "- Scale CoreDNS with the cluster-proportional autoscaler" in foreign_actions(SMALL, OTHER)
    assert "Disable FLUSHALL" not in foreign_actions(SMALL, OTHER)
    assert "add a dry-run mode" not in foreign_actions(SMALL, OTHER)
    swapped = foreign_root_cause(SMALL, OTHER)
    assert "CoreDNS ran out of memory because ndots:5 multiplied lookups." in swapped
    assert "The script ran FLUSHALL" not in swapped
    assert foreign_root_cause(SMALL, "# No causes here\n\nJust text.\n") == SMALL


def test_generic_actions_are_well_formed_but_about_systems_the_document_never_names():
    replaced = generic_actions(SMALL)
    actions = replaced.split("## Action items")[1]
    assert actions.count("(owner: ") == 3 and "Disable FLUSHALL" not in actions


def test_dropping_impact_figures_keeps_dates_and_versions_and_counts_a_duration_once():
    dropped = drop_impact_figures(SMALL)
    assert "checkout failed for % of requests for  minutes, affecting  customers" in dropped
    assert "On 2 May 2024" in dropped and "Version 2.4.1" in dropped and "October 3, 2024" in dropped
    assert drop_impact_figures(OTHER) == OTHER


def test_removing_the_timeline_and_injecting_blame_change_what_they_say():
    assert "10:02 errors rise" not in remove_timeline(SMALL)
    blamed = inject_blame(SMALL)
    assert sum(sentence in blamed for sentence in BLAME_SENTENCES) == 3
    assert blamed == inject_blame(SMALL)  # the same document always gets the same sentences


def test_every_degradation_of_a_small_postmortem_scores_below_it():
    original = score_markdown(SMALL).weighted_average
    for kind, (degrade, takes_donor, _) in DEGRADATIONS.items():
        copy = degrade(SMALL, OTHER if takes_donor else None)
        assert copy != SMALL, kind
        assert score_markdown(copy).weighted_average < original, kind


def test_the_shipped_calibration_documents_outscore_every_degraded_copy_and_every_ordering_holds():
    docs = load_docs(CALIBRATION / "docs", "shipped")
    scores = {doc.key: score_markdown(doc.markdown).weighted_average for doc in docs}
    pairs = metamorphic_pairs(docs, scores)
    assert len(docs) >= 8 and len(pairs) >= 150
    assert [(p.doc.name, p.kind, p.donor) for p in pairs if not p.held] == []
    held, failed = check_orderings(CALIBRATION)
    assert [row.case_id for row in failed] == [] and len(held) == len(
        json.loads((CALIBRATION / "orderings.json").read_text())["orderings"]
    )


def test_the_shipped_orderings_name_files_that_exist():
    spec = json.loads((CALIBRATION / "orderings.json").read_text())
    for entry in spec["orderings"]:
        assert (CALIBRATION / entry["better"]).is_file() and (CALIBRATION / entry["worse"]).is_file(), entry
        assert entry["why"]


def test_an_evidence_only_draft_quotes_the_events_and_asks_about_causes():
    draft = evidence_draft(
        {
            "title": "API errors",
            "started_at": "2024-05-02T10:00:00Z",
            "services": ["api"],
            "events": [{"at": "2024-05-02T10:02:00Z", "source": "alert", "text": "5xx above 5%"}],
        }
    )
    assert '| 2024-05-02T10:02:00Z | alert | "5xx above 5%" |' in draft
    assert "- What changed before the first failure, and how did it produce the failure?" in draft
    assert score_markdown(draft).weighted_average < 3.0


def test_the_suite_runs_on_the_shipped_set_and_says_when_the_shared_data_is_absent(tmp_path):
    result = run_rubric_calibration(RunContext(shared_data=tmp_path))
    assert result.status == "ran"
    assert result.metrics["pairs.shipped"] == 1.0 and result.metrics["orderings"] == 1.0
    assert "published_above_draft" not in result.metrics and "pairs.shared" not in result.metrics
    assert (
        result.notes[-1]
        == f"{tmp_path / 'fulltext'} is not present: published-vs-draft and the shared pairs are skipped."
    )
    assert {row.case_id.split(":")[0] for row in result.cases} == {"shipped"}
    assert default_calibration_dir() == CALIBRATION


@pytest.mark.shared_data
def test_each_published_postmortem_outscores_the_offline_and_the_evidence_only_draft(shared_data):
    docs = load_docs(shared_data / "fulltext", "shared")
    scores = {doc.key: score_markdown(doc.markdown).weighted_average for doc in docs}
    found = published_vs_drafts(shared_data / "fulltext", scores)
    assert len(found) == 10
    below = {name: value for name, value in found.items() if not value[0] > max(value[1], value[2])}
    assert below == {}


@pytest.mark.shared_data
def test_published_postmortems_outscore_95_percent_of_their_degraded_copies(shared_data):
    docs = load_docs(shared_data / "fulltext", "shared") + load_docs(CALIBRATION / "docs", "shipped")
    scores = {doc.key: score_markdown(doc.markdown).weighted_average for doc in docs}
    shared = [p for p in metamorphic_pairs(docs, scores) if p.doc.source == "shared"]
    assert sum(p.held for p in shared) / len(shared) >= 0.95


def test_a_document_is_keyed_by_where_it_comes_from():
    assert Doc("shipped", "x", "").key == "shipped: x"
    assert SHARED_DATA.name == "data"
