"""B-cell aplasia, cytokine and inflammation peaks, and CAR-T kinetics from one patient's
series (clinical rules, "Biomarkers" and "CAR-T kinetics"; cohort format 1.1).

Pure functions over ``analytes.Measurement`` values in their series unit; nothing here
touches the ORM. Each function reads the values of one specimen, a parameter because it
is the study's setting. A value below detection counts as 0 everywhere. Where the rules
leave a choice, the registry decides as follows.

B-cell aplasia (from ``b_cells_pct``)
- After infusion means from day 1: a day-0 sample is drawn before the cells go in.
- Aplasia starts at the first value below the threshold (seed: <3% of lymphocytes in
  marrow); recovery is the first later value at or above it. Its duration runs from the
  start to the recovery, or, censored, to the last value (the aplasia is then ongoing) or
  to an allo-HCT: a transplant ends the CAR-T's own aplasia, so values after its day are
  left out (a value on the day itself counts: it is drawn before the graft).
- A recorded ``b_cell_recovery`` event disagrees with the values when it lies further
  from the recovery they show than the interval between the two measurements around that
  recovery. When the values show none, it disagrees when it lies further before the last
  value still below the threshold than the interval between the last two values (no
  allowance with a single value). It always disagrees when no value shows aplasia, and
  is not compared when an allo-HCT censored the aplasia before it.

Peaks (the seed's Table S3)
- The peak is the highest value in days 0-30, the first day of equals; the baseline is
  the last value on or before day 0; the fold change is peak / baseline, none when the
  baseline is missing or below detection (no multiple of 0 is meaningful). A series all
  below detection peaks at 0 on no day.

CAR-T kinetics (flow cells/µL and qPCR copies/µg DNA are separate series)
- One definition, which the analysis dataset's car_t_* columns read too
  (``series_kinetics``): over one specimen's values. Values before day 0 are left out.
  Cmax is the highest level (0 when never detected), Tmax its first day; AUC0-28 is the
  linear trapezoid from day 0 to day 28 in level x days, with level 0 on day 0 when
  unmeasured, interpolated at day 28 between values either side and never extrapolated
  past the last value; persistence is the last day with a detectable level. No value from
  day 0 on: not detected, all None.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise

from registry.analytes import PERIPHERAL_BLOOD, SPECIMENS, Measurement

PEAK_LAST_DAY = 30
AUC_END_DAY = 28


@dataclass(frozen=True)
class BCellAplasia:
    start_day: int | None  # None: no value below the threshold
    recovery_day: int | None
    duration_days: int | None
    ongoing: bool  # below the threshold at the last value, with no transplant since
    reason: str


def b_cell_aplasia(
    b_cells_pct: Iterable[Measurement],
    *,
    threshold_pct: float,
    specimen: str,
    allo_hct_day: int | None = None,
) -> BCellAplasia:
    """B-cell aplasia from CD19-positive B cells (% of lymphocytes) after infusion."""
    series = _after_infusion(b_cells_pct, specimen, allo_hct_day)
    where = f"in {SPECIMENS[specimen]}"
    if not series:
        return BCellAplasia(None, None, None, False, f"no B-cell values {where} after infusion")
    start = next((day for day, level in series if level < threshold_pct), None)
    if start is None:
        reason = f"no B-cell aplasia: B cells never below {threshold_pct:g}% {where}"
        return BCellAplasia(None, None, None, False, reason)
    recovery = next((day for day, level in series if day > start and level >= threshold_pct), None)
    if recovery is not None:
        reason = f"B-cell aplasia from day {start}, recovery on day {recovery}"
        return BCellAplasia(start, recovery, recovery - start, False, reason)
    if allo_hct_day is not None:
        reason = f"B-cell aplasia from day {start}, censored at allo-HCT on day {allo_hct_day}"
        return BCellAplasia(start, None, allo_hct_day - start, False, reason)
    last = series[-1][0]
    reason = f"B-cell aplasia from day {start}, ongoing at the last value on day {last}"
    return BCellAplasia(start, None, last - start, True, reason)


def b_cell_recovery_discrepancy(
    b_cells_pct: Iterable[Measurement],
    *,
    recorded_day: int,
    threshold_pct: float,
    specimen: str,
    allo_hct_day: int | None = None,
) -> str | None:
    """Why a recorded B-cell recovery on ``recorded_day`` disagrees with the values, or
    None when it does not."""
    values = list(b_cells_pct)
    aplasia = b_cell_aplasia(
        values, threshold_pct=threshold_pct, specimen=specimen, allo_hct_day=allo_hct_day
    )
    recorded = f"B-cell recovery recorded on day {recorded_day}"
    if aplasia.start_day is None:
        return f"{recorded}, but no value in {SPECIMENS[specimen]} shows B-cell aplasia"
    days = [day for day, _ in _after_infusion(values, specimen, allo_hct_day)]
    if aplasia.recovery_day is not None:
        allowed = aplasia.recovery_day - days[days.index(aplasia.recovery_day) - 1]
        if abs(recorded_day - aplasia.recovery_day) > allowed:
            return f"{recorded}; the values show it on day {aplasia.recovery_day}"
        return None
    if allo_hct_day is not None and recorded_day >= allo_hct_day:
        return None
    allowed = days[-1] - days[-2] if len(days) > 1 else 0
    if days[-1] - recorded_day > allowed:
        below = f"B cells still below {threshold_pct:g}% on day {days[-1]}"
        return f"{recorded}, but {below}"
    return None


def _after_infusion(
    values: Iterable[Measurement], specimen: str, allo_hct_day: int | None
) -> list[tuple[int, float]]:
    last_day = allo_hct_day if allo_hct_day is not None else float("inf")
    return sorted(
        (value.day, value.level)
        for value in values
        if value.specimen == specimen and 0 < value.day <= last_day
    )


@dataclass(frozen=True)
class Peak:
    peak: float | None  # None: no value in days 0-30
    peak_day: int | None
    baseline: float | None
    fold_change: float | None


def peak(series: Iterable[Measurement], *, specimen: str = PERIPHERAL_BLOOD) -> Peak:
    """Peak in days 0-30 and fold change from baseline of one analyte in one unit."""
    values = sorted(
        ((value.day, value.level) for value in series if value.specimen == specimen),
        key=lambda value: value[0],
    )
    baseline = next((level for day, level in reversed(values) if day <= 0), None)
    window = [(day, level) for day, level in values if 0 <= day <= PEAK_LAST_DAY]
    if not window:
        return Peak(None, None, baseline, None)
    peak_day, highest = max(window, key=lambda value: value[1])
    fold_change = highest / baseline if baseline else None
    return Peak(highest, peak_day if highest > 0 else None, baseline, fold_change)


@dataclass(frozen=True)
class Kinetics:
    detected: bool
    cmax: float | None
    tmax_day: int | None
    auc_0_28: float | None
    last_detected_day: int | None  # persistence


def car_t_kinetics(counts: Iterable[Measurement], *, specimen: str = PERIPHERAL_BLOOD) -> Kinetics:
    """Expansion and persistence of one series of CAR-T levels (flow or qPCR)."""
    return series_kinetics(
        (count.day, count.level) for count in counts if count.specimen == specimen
    )


def series_kinetics(samples: Iterable[tuple[float, float]]) -> Kinetics:
    """Expansion and persistence from (day, level) samples of one series and specimen.

    Samples before day 0 are ignored; undetectable levels are 0. Cmax is the highest level
    (0 if never detected) and Tmax its first day (None if never detected). AUC0-28 is in
    the level's unit x days (see _auc_0_28). No sample from day 0 on: not detected, all
    None. Plain Python, not numpy: it runs once per patient on a handful of samples.
    """
    # Sorted by day only, and stably, so that a tie keeps the order the values came in.
    ordered = sorted(
        ((float(day), float(level)) for day, level in samples if day >= 0),
        key=lambda sample: sample[0],
    )
    if not ordered:
        return Kinetics(False, None, None, None, None)
    detected = [day for day, level in ordered if level > 0]
    if not detected:
        return Kinetics(False, 0.0, None, _auc_0_28(ordered), None)
    peak_day, cmax = max(ordered, key=lambda sample: sample[1])  # the first: earliest day
    return Kinetics(True, cmax, int(peak_day), _auc_0_28(ordered), int(detected[-1]))


def _auc_0_28(samples: list[tuple[float, float]]) -> float:
    """Linear trapezoid from day 0 to day 28 over (day, level) samples sorted by day."""
    if samples[0][0] > 0:
        samples = [(0.0, 0.0), *samples]
    points = [sample for sample in samples if sample[0] <= AUC_END_DAY]
    if points[-1][0] < AUC_END_DAY < samples[-1][0]:
        (day, level), (next_day, next_level) = points[-1], samples[len(points)]
        slope = (next_level - level) / (next_day - day)
        points.append((AUC_END_DAY, slope * (AUC_END_DAY - day) + level))
    # A loop, not sum(), whose rounding of floats changed in Python 3.12: the same samples
    # give the same area on every version.
    area = 0.0
    for (day, level), (next_day, next_level) in pairwise(points):
        area += (next_day - day) * (next_level + level) / 2.0
    return area
