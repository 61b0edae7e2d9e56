"""The small-count rules (DESIGN §6) every view and export of this service applies, in one place."""
from __future__ import annotations

# Aggregates of evaluations shown to anyone but operators: withheld under this many evaluations, so that no
# mentor can infer one mentee's ratings.
EVALUATION_MINIMUM = 3
# Research exports and demographic tables: a cell counting fewer people than this is suppressed.
RESEARCH_CELL_MINIMUM = 5


def shown(count: int, minimum: int = EVALUATION_MINIMUM) -> bool:
    """Whether an aggregate over `count` items may be shown (operators see all; callers decide that)."""
    return count >= minimum


def cell(count: int, minimum: int = RESEARCH_CELL_MINIMUM) -> int | None:
    """A count as it may appear in an export: None (suppressed) under the minimum — zero included, so that
    a reader cannot tell a suppressed cell from an empty one by its neighbours."""
    return None if count < minimum else count
