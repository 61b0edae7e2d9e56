"""The evaluation service: Evaluation schedule, evaluations, surveys, participation reports and research data requests."""
