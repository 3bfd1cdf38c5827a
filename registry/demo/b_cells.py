"""CD19-positive B cells of an invented patient in blood (% of lymphocytes), at each
monthly visit.

A responder's CAR-T cells clear the B cells: they stay below the study's threshold (the
seed's 3%) until the B-cell recovery the site records, if any, and are back from the
first visit on or after it, so that the registry's own reading of the values
(registry.biomarkers) agrees with the recorded event. Most values in aplasia are below
the flow cytometry's limit of detection. A patient without a response has B cells.
"""

import random

from registry.demo.study import significant

DETECTION_LIMIT_PCT = 0.01
APLASIA_PCT = (0.02, 2.5)  # below the seed's 3% threshold
PRESENT_PCT = (4.0, 25.0)


def b_cells(
    rng: random.Random, *, monthly_days: list[int], responded: bool, recovery_day: int | None
) -> list[tuple[int, str, float, bool]]:
    """(day, "b_cells_pct", value, below detection) at each monthly visit."""
    values = []
    for day in monthly_days:
        aplastic = responded and (recovery_day is None or day < recovery_day)
        if aplastic and rng.random() < 0.7:
            values.append((day, "b_cells_pct", DETECTION_LIMIT_PCT, True))
        else:
            level = rng.uniform(*(APLASIA_PCT if aplastic else PRESENT_PCT))
            values.append((day, "b_cells_pct", significant(level, 2), False))
    return values
