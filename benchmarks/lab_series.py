"""A minimal lab series for the benchmarks' own studies, until the cohort generator
writes realistic ones: per patient, ANC twice a week to day 28 and on days 45, 60 and 90
(early and late ICAHT), IL-6, IFN-γ, IL-10, ferritin and CRP on five days of the first two
weeks and a baseline (the cytokine peaks), and B cells in marrow on days 14, 28, 60 and
90 (B-cell aplasia): 46 values a patient. The values are drawn from a seeded generator,
so every run loads the same numbers; they exercise the computations, they do not model
a disease course. A patient gets values only up to the study's clinical cut-off, as the
generator's other series end by it, and none without an infusion.

Written in bulk, as an import writes, with the patients stamped so that their analysis
rows are computed again."""

import numpy as np
from django.db.models import Max, Min
from django.utils import timezone

from registry.models import Infusion, LabResult, Study

ANC_DAYS = (0, 3, 7, 10, 14, 17, 21, 24, 28, 45, 60, 90)
CYTOKINE_DAYS = (-3, 1, 3, 5, 7, 10)
CYTOKINES = {  # analyte: unit, median of the peak
    "il6": ("pg/mL", 80.0),
    "ifng": ("pg/mL", 40.0),
    "il10": ("pg/mL", 20.0),
    "ferritin": ("ng/mL", 1500.0),
    "crp": ("mg/L", 60.0),
}
B_CELL_DAYS = (14, 28, 60, 90)
BATCH = 20_000


def lab_series_add(*, study: Study, seed: int = 18) -> int:
    """Writes the series for every patient of the study; returns how many values."""
    random = np.random.default_rng(seed)
    infused = (
        Infusion.objects.filter(patient__study=study)
        .values("patient_id")
        .annotate(first=Min("date"))
        .order_by("patient_id")
        .values_list("patient_id", "first")
    )
    values = []
    for patient_id, first in infused:
        last_day = (study.data_cutoff - first).days if study.data_cutoff else None
        series = _patient_series(patient_id, random)
        values += [value for value in series if last_day is None or value.day <= last_day]
    LabResult.objects.bulk_create(values, batch_size=BATCH)
    latest = study.patients.aggregate(latest=Max("updated"))["latest"]
    study.patients.update(updated=max(timezone.now(), latest))
    return len(values)


def _patient_series(patient_id: int, random: np.random.Generator) -> list[LabResult]:
    def lab(day: int, analyte: str, value: float, unit: str, **more) -> LabResult:
        return LabResult(
            patient_id=patient_id, day=day, analyte=analyte, value=value, unit=unit, **more
        )

    nadir = random.uniform(0.02, 1.2)  # x10^9/L
    series = [lab(day, "anc", round(_anc(day, nadir), 3), "10^9/L") for day in ANC_DAYS]
    for analyte, (unit, median) in CYTOKINES.items():
        peak = median * random.lognormal(0.0, 1.0)
        for day in CYTOKINE_DAYS:
            level = peak * (0.05 if day < 0 else random.uniform(0.1, 1.0))
            series.append(lab(day, analyte, round(level, 2), unit))
    recovery = random.integers(1, 5)  # B cells back from the recovery-th value, if any
    for index, day in enumerate(B_CELL_DAYS):
        level = 8.0 if index >= recovery else 0.5
        series.append(lab(day, "b_cells_pct", level, "%", specimen="bm"))
    return series


def _anc(day: int, nadir: float) -> float:
    """Low around days 3-14, recovering after."""
    if 3 <= day <= 14:
        return nadir
    return 2.0 if day < 3 else min(2.5, nadir + 0.08 * (day - 14))
