"""Scenarios (one job role's interview) and the scores, tags, fit and KPI baselines they produce."""
