"""A scenario with other weights for its shared signals and rubrics: how the cross-validation scores each
held-out fold through the real engine with the weights fitted on the other folds."""

from __future__ import annotations

from server.scoring.scenario import Scenario

FITTED_SIGNALS = ["text.word_count", "text.distinct_words", "speech.filler_rate", "text.we_ratio"]
"""The signals whose weight the harness fits (shared by the competencies of general_behavioral)."""

MIN_RUBRIC, MAX_RUBRIC = 0.05, 0.95


def with_weights(scenario: Scenario, weights: dict[str, float]) -> Scenario:
    """Each competency's weight for every fitted signal it declares, and its rubric's share
    (rubric / (rubric + its fitted signals)), replaced; signals fitted to 0 are dropped; the rest as they
    were."""
    data = scenario.model_dump(mode="python")
    rubric = weights.get("rubric", 0.0)
    for competency in data["competencies"]:
        kept = []
        for item in competency["signals"]:
            if item["signal"] in weights:
                if weights[item["signal"]] <= 0:
                    continue
                item["weight"] = weights[item["signal"]]
            kept.append(item)
        if not kept:  # nothing but the rubric left: keep the strongest fitted signal at a token weight
            kept = competency["signals"][:1]
        competency["signals"] = kept
        if competency.get("rubric"):
            own = sum(i["weight"] for i in kept if i["signal"] in weights)
            share = rubric / (rubric + own) if rubric + own > 0 else MIN_RUBRIC
            competency["rubric"]["weight"] = min(MAX_RUBRIC, max(MIN_RUBRIC, share))
    return Scenario.model_validate(data)
