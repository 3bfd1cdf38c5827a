"""The dated treatments of an invented patient's CRS and ICANS, on the days the daily
assessments call for them, so that the record's yes/no of each (registry.demo.toxicity)
says the same as the entries, as the cohort format requires.

- Tocilizumab on the first day of a CRS peak of grade 2 or more (the day after which the
  daily assessments have the fever masked), and for half of those still at grade 2 or more
  the next day a second dose: 8 mg/kg, at most 800 mg; 12 mg/kg under 30 kg (the label's
  dosing for CRS), rounded to 10 mg.
- A corticosteroid on each day of CRS grade 3 or more or ICANS grade 2 or more:
  dexamethasone 10 mg (0.5 mg/kg for a child under 20 kg); methylprednisolone 1,000 mg on a
  day of grade 4.
- Plasmapheresis on the first day of grade 4 CRS, as the seed's three patients had.
"""

import random

from registry.demo.toxicity import GradedDays

CHILD_WEIGHT_KG = 30
SECOND_DOSE_SHARE = 0.5


def toxicity_treatments(rng: random.Random, graded: GradedDays, *, weight_kg: float) -> list[dict]:
    treatments = []
    first = graded.tocilizumab_day
    if first is not None:
        dose = _tocilizumab_mg(weight_kg)
        treatments.append({"day": first, "treatment": "tocilizumab", "dose_mg": dose})
        again = first + 1
        if again < len(graded.crs) and graded.crs[again] >= 2 and rng.random() < SECOND_DOSE_SHARE:
            treatments.append({"day": again, "treatment": "tocilizumab", "dose_mg": dose})
    for day in graded.steroid_days:
        treatments.append(_corticosteroid(day, max(graded.crs[day], graded.icans[day]), weight_kg))
    if max(graded.crs) >= 4:
        treatments.append({"day": graded.crs.index(4), "treatment": "plasmapheresis"})
    treatments.sort(key=lambda treatment: treatment["day"])
    return treatments


def _tocilizumab_mg(weight_kg: float) -> float:
    per_kg = 12 if weight_kg < CHILD_WEIGHT_KG else 8
    return float(min(800, round(per_kg * weight_kg, -1)))


def _corticosteroid(day: int, grade: int, weight_kg: float) -> dict:
    if grade >= 4:
        return {
            "day": day,
            "treatment": "corticosteroid",
            "dose_mg": 1000.0,
            "description": "Methylprednisolone",
        }
    return {
        "day": day,
        "treatment": "corticosteroid",
        "dose_mg": float(min(10, round(0.5 * weight_kg))),
        "description": "Dexamethasone",
    }
