"""The validity harness: score labelled corpora through the real scoring path and measure how well the scores
agree with human judgement (``make validity`` writes docs/VALIDITY.md)."""
