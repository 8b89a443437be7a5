"""The rubric judge: k reasoned samples through a forced tool, medians beside the deterministic score."""

from __future__ import annotations

import pytest
from conftest import EXAMPLE

from pm_agent.analysis.rubric.scorer import score_markdown
from pm_agent.assisted import JudgeResult, judge_rubric
from pm_agent.assisted.judge import CriterionJudgement, JudgedCriterion, JudgeScores
from pm_agent.backends import BackendRefused, FakeBackend, OfflineBackend
from pm_agent.models import Usage
from pm_agent.service import PostmortemService


@pytest.fixture(scope="module")
def markdown() -> str:
    service = PostmortemService()
    return service.render(service.draft(service.load([EXAMPLE]), score=False))


def sample(scores: dict[str, float], reasoning: str = "Quoted evidence.") -> JudgeScores:
    return JudgeScores(
        scores=[CriterionJudgement(criterion=c, reasoning=f"{reasoning} ({c})", score=s) for c, s in scores.items()]
    )


def scores(deterministic, **overrides) -> dict[str, float]:
    return {c.id: overrides.get(c.id, 4.0) for c in deterministic.criteria}


def test_without_a_model_the_deterministic_score_stands_alone(markdown):
    assert judge_rubric(markdown, OfflineBackend()) == JudgeResult(
        deterministic=score_markdown(markdown),
        backend_notes=["No model backend: the deterministic score stands alone."],
    )


def test_three_samples_give_a_median_per_criterion_and_flag_the_unstable_ones(markdown):
    deterministic = score_markdown(markdown)
    first = scores(deterministic, timeline_clarity=2.0, impact_quantification=3.0)
    second = scores(deterministic, timeline_clarity=5.0, impact_quantification=3.5)
    third = {c: s for c, s in scores(deterministic, impact_quantification=3.0).items() if c != "blameless_tone"}
    backend = FakeBackend(sample(first), sample(second), sample(third, "Third"))

    result = judge_rubric(markdown, backend, k=3)

    assert result.deterministic == deterministic  # never replaced
    by_id = {c.id: c for c in result.criteria}
    assert by_id["timeline_clarity"] == JudgedCriterion(
        id="timeline_clarity",
        name="Timeline clarity",
        weight=1.2,
        samples=[2.0, 5.0, 4.0],
        median=4.0,
        spread=3.0,
        unstable=True,
        deterministic=deterministic.criteria[0].score,
        reasoning="Third (timeline_clarity)",
    )
    assert (
        by_id["impact_quantification"].samples,
        by_id["impact_quantification"].median,
        by_id["impact_quantification"].unstable,
    ) == ([3.0, 3.5, 3.0], 3.0, False)
    assert (by_id["blameless_tone"].samples, by_id["blameless_tone"].median) == ([4.0, 4.0, 1.0], 4.0)
    assert [c.id for c in result.criteria if c.unstable] == ["timeline_clarity", "blameless_tone"]
    weights = {c.id: c.weight for c in deterministic.criteria}
    expected = round((sum(weights.values()) * 4.0 - weights["impact_quantification"]) / sum(weights.values()), 2)
    assert (result.weighted_median, result.samples, result.generated_by) == (expected, 3, "fake fake-model")
    assert result.backend_notes == ["1 judge sample(s) did not score blameless_tone; counted as 1."]
    assert result.usage == Usage(calls=3)


def test_every_sample_is_the_same_request_with_the_rubric_cached_and_the_postmortem_as_data(markdown):
    deterministic = score_markdown(markdown)
    backend = FakeBackend(*(sample(scores(deterministic)) for _ in range(3)))

    judge_rubric(markdown, backend, k=3)

    requests = [request for request, _ in backend.history]
    assert requests[0] == requests[1] == requests[2]
    assert (requests[0].prompt, requests[0].tool_name) == ("judge", "submit_scores")
    rendered = backend.history[0][1]
    assert "### timeline_clarity: Timeline clarity (weight 1.2)" in rendered.system
    assert "first write your `reasoning`" in rendered.system
    assert markdown not in rendered.system
    assert rendered.data == f'<data name="postmortem">\n{markdown}\n</data>'
    assert list(JudgeScores.model_json_schema()["$defs"]["CriterionJudgement"]["properties"]) == [
        "criterion",
        "reasoning",
        "score",
    ]


def test_a_failing_judge_stops_sampling_and_keeps_what_it_has(markdown):
    deterministic = score_markdown(markdown)
    refused = BackendRefused("the Anthropic API refused the key (401)", reason="anthropic 401, key refused")
    backend = FakeBackend(sample(scores(deterministic)), refused)

    result = judge_rubric(markdown, backend, k=3)

    assert (result.samples, result.generated_by, backend.pending) == (1, "fake fake-model", 0)
    assert result.backend_notes == [
        "Judge sample 2 of 3 failed, so sampling stopped: the Anthropic API refused the key (401)"
    ]


def test_a_judge_that_never_answers_leaves_the_deterministic_score(markdown):
    refused = BackendRefused("the Anthropic API refused the key (401)", reason="anthropic 401, key refused")

    result = judge_rubric(markdown, FakeBackend(refused), k=3)

    assert result == JudgeResult(
        deterministic=score_markdown(markdown),
        generated_by="offline (fallback: anthropic 401, key refused)",
        backend_notes=["Judge sample 1 of 3 failed, so sampling stopped: the Anthropic API refused the key (401)"],
    )
