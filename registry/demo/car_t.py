"""The CAR-T cells of an invented patient in blood on COUNT_DAYS: by flow cytometry, and
beside it the CAR transgene by qPCR.

The flow counts follow the seed paper (median peak 5.2 cells/µL; cells lost by flow in
about half the patients). qPCR is the more sensitive of the two: where flow finds cells,
it finds a patient's own multiple of them, and it goes on finding a few copies for a
while after flow loses them, as it would have for the seed's patient #16 (the paper's
"CAR-T cells that could not be detected by FCM").
"""

import math
import random

from registry.demo.study import COUNT_DAYS, significant

# Copies/µg DNA per CAR-T cell/µL: varies with the product and the patient's lymphocytes.
COPIES_PER_CELL_MEDIAN = 4_000
# Counts after flow loses the cells that qPCR still finds copies in, and how many.
QPCR_AFTER_FLOW = 2
QPCR_LOW_COPIES = (10, 300)
# The share of patients never seen by flow in whom qPCR finds the cells.
QPCR_ONLY_SHARE = 0.5


def flow_counts(rng: random.Random) -> tuple[list[dict], int | None]:
    """Levels on COUNT_DAYS (cells/µL), and the day the cells were lost if they were."""
    if rng.random() < 0.1:
        return [{"day": day, "cells_per_ul": 0.0} for day in COUNT_DAYS], None
    peak = rng.lognormvariate(math.log(5.2), 1.0)
    peak_day = rng.choice((7, 10, 14))
    lost_on_day = None
    if rng.random() < 0.5:
        lost_on_day = rng.choice([day for day in COUNT_DAYS if day > peak_day])
    counts = []
    for day in COUNT_DAYS:
        if lost_on_day is not None and day >= lost_on_day:
            level = 0.0
        elif day <= peak_day:
            level = max(0.01, round(peak * (day / peak_day) ** 2, 2))
        else:
            level = max(0.01, round(peak * 0.5 ** ((day - peak_day) / 7), 2))
        counts.append({"day": day, "cells_per_ul": level})
    return counts, lost_on_day


def with_qpcr(rng: random.Random, counts: list[dict]) -> list[dict]:
    """The flow counts, each with the qPCR measurement of the same blood sample."""
    per_cell = rng.lognormvariate(math.log(COPIES_PER_CELL_MEDIAN), 0.7)
    never_by_flow = all(count["cells_per_ul"] == 0 for count in counts)
    found_by_qpcr_only = never_by_flow and rng.random() < QPCR_ONLY_SHARE
    since_loss = 0
    measured = []
    for count in counts:
        cells = count["cells_per_ul"]
        if cells > 0:
            copies = cells * per_cell * rng.lognormvariate(0, 0.3)
        elif found_by_qpcr_only:
            # Expansion too low for flow: a few hundred copies in the first two weeks.
            copies = rng.uniform(*QPCR_LOW_COPIES) * 2 if count["day"] <= 14 else 0.0
        elif not never_by_flow and since_loss < QPCR_AFTER_FLOW:
            since_loss += 1
            copies = rng.uniform(*QPCR_LOW_COPIES)
        else:
            copies = 0.0
        measured.append(count | {"copies_per_ug_dna": significant(copies)})
    return measured
