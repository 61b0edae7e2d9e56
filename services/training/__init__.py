"""The training service: Training modules, progress, attestations and CME certificates."""
