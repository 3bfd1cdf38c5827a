"""Neutrophil ICAHT grade after CAR-T cells (EHA/EBMT consensus, Rejeski et al., Blood
2023;142:865-877) from a patient's ANC series.

Pure functions over ``analytes.Measurement`` values of ANC in the registry's unit
(10^9/L); nothing here touches the ORM. The grades are those of the project's clinical
rules ("ICAHT"), which follow the public automated grading code of Liang et al.
(github.com/emilyliangmd/automatedicahtgrading: ``index.Rmd`` and ``Manual Code.R``).
Where the rules leave a choice the registry does what that code does; where the two
differ the registry follows the rules text, marked "rules text" below. The text of
Rejeski 2023 itself was not at hand; its grade table is quoted from the rules and
Liang's code, which agree on it.

Early ICAHT (days 0-30)
- Severe neutropenia is ANC ≤500/µL, profound ≤100/µL (equal counts: Liang compares
  with 501 and 101). A value below detection is 0. Two values on one day: the lower.
- Days between measurements: the ANC of a day without a value is interpolated linearly
  between the values either side, as Liang does (``zoo::na.approx``), when no more than
  7 days in a row are missing (``maxgap = 7``, weekly outpatient counts); a longer gap is
  unknown and counts neither as low nor as recovered. Before the first value the first
  is held back to day 0, and after the last the last is held to the end of follow-up
  (``followed_until``, e.g. death; Liang's last follow-up) or day 30 (``rule = 2``),
  each only when that leaves no more than 7 days to fill; a longer stretch stays unknown.
- An episode is a run of days at or below the threshold. A recovery of fewer than 3 days
  between two low days does not end it, and its days count in the duration (Liang:
  ``heatwaveR::exceedance(joinAcrossGaps = TRUE, maxGap = 2)``; the thrombocytopenia
  grading built on it, Table 1 at www.ash-sap.org/view-large/12809257, says the same:
  "days of nonstable count recovery (<3 days) are counted to the cumulative total"). A
  stretch of unknown days, always longer than 7, ends an episode. The grade reads the
  longest episode, the first of equals.
- Grade 1: severe 1-6 days; 2: severe 7-13; 3: severe 14 or more, or profound 7-13;
  4: profound 14 or more, or never above 500/µL from day 0 to day 30.
- "Never above 500/µL" (rules text): every day 0-30 known and ≤500/µL. Liang instead
  counts an episode of 31 days joined across a short recovery, and also gives grade 4
  to an episode starting by day 3 that lasts to the last count (an early death in
  aplasia); the registry grades those by their durations.
- On a tie between severe and profound the reason names severe neutropenia.

Late ICAHT (days 31-100)
- Censored at relapse, next therapy or allo-HCT: values after the earliest of them are
  left out; a value on that day counts, as in Liang (``date <= date_earliest``).
- The grade is set by the lowest ANC confirmed by two or more measurements, or by one
  not followed by recovery (rules text): ≤1500/µL grade 1, ≤1000 grade 2, ≤500 grade 3,
  ≤100 grade 4. A threshold is confirmed when two values are at or below it, or when the
  last value of the window is. Liang instead grades the single lowest value whenever the
  second lowest is ≤1500/µL: ANC 400 then 1200 is grade 3 there and grade 1 here.

No value in the window: no grade (None), never grade 0.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from registry.analytes import ANALYTES, Measurement
from registry.choices import EventKind

SEVERE, PROFOUND = 500, 100  # ANC /µL
LATE_THRESHOLDS = ((4, 100), (3, 500), (2, 1000), (1, 1500))  # grade, ANC ≤ /µL
EARLY_LAST_DAY = 30
LATE_FIRST_DAY, LATE_LAST_DAY = 31, 100
# The windows in words, as the pages and the API's descriptions name them.
WINDOWS = {"early": f"days 0–{EARLY_LAST_DAY}", "late": f"days {LATE_FIRST_DAY}–{LATE_LAST_DAY}"}
MAX_INTERPOLATED_DAYS = 7
# /µL in one x10^9/L: exactly 1000.0, so a product of a float with it is rounded once, to
# what registry.analytes.convert gives, without checking the codes again for every value.
PER_UL = float(ANALYTES["anc"].units["10^9/L"] / ANALYTES["anc"].units["/uL"])
SHORTEST_RECOVERY_DAYS = 3
# Far wider than the rounding of an interpolated ANC (well under 1e-9 /µL at any count),
# so a day this far from a threshold falls on the same side of it as its exact value.
NEAR_THRESHOLD = 1e-6


@dataclass(frozen=True)
class IcahtGrade:
    grade: int | None  # 0-4; None without any ANC value in the window
    reason: str  # short clinician words, e.g. "grade 2: ANC ≤500/µL for 9 days (days 2–10)"


@dataclass(frozen=True)
class Episode:
    days: int  # first to last day, a short recovery inside included
    first_day: int
    last_day: int


def first_event_days(events: Iterable[tuple], infused: date | None) -> dict[str, int]:
    """The day after the first infusion of the first event of each kind on or after it,
    from events given as (kind, date, ...)."""
    days: dict[str, int] = {}
    if infused is None:
        return days
    for kind, when, *_ in sorted(events, key=lambda event: event[1]):
        if when >= infused:
            days.setdefault(kind, (when - infused).days)
    return days


def last_day_followed(
    event_days: Mapping[str, int], infused: date | None, last_contact: date | None
) -> int | None:
    """The last day after the first infusion the patient was followed: the death, else
    the last contact; None when unknown."""
    if EventKind.DEATH in event_days:
        return event_days[EventKind.DEATH]
    if infused is None or last_contact is None or last_contact < infused:
        return None
    return (last_contact - infused).days


def course_icaht(
    anc: Iterable[Measurement], *, event_days: Mapping[str, int], followed_until: int | None
) -> tuple[IcahtGrade, IcahtGrade]:
    """The early and late grade of one patient's course, as the patient page and the
    analysis dataset both give them, from the course's `first_event_days` and
    `last_day_followed`."""
    anc = list(anc)
    return early_icaht(anc, followed_until=followed_until), course_late_icaht(anc, event_days)


def course_late_icaht(anc: Iterable[Measurement], event_days: Mapping[str, int]) -> IcahtGrade:
    """The late grade of course_icaht alone, censored at the course's events."""
    return late_icaht(
        anc,
        relapse_day=event_days.get(EventKind.RELAPSE),
        next_therapy_day=event_days.get(EventKind.OTHER_THERAPY),
        allo_hct_day=event_days.get(EventKind.ALLO_HCT),
    )


def early_icaht(anc: Iterable[Measurement], *, followed_until: int | None = None) -> IcahtGrade:
    """Early ICAHT grade (0-4) from ANC values in 10^9/L; ``followed_until`` is the last
    day the patient was followed (death, last contact), None when beyond day 30."""
    last_day = EARLY_LAST_DAY if followed_until is None else min(followed_until, EARLY_LAST_DAY)
    daily = _daily_anc(_lowest_per_day(anc, 0, last_day), last_day)
    if not daily:
        return IcahtGrade(None, f"no ANC values from day 0 to day {EARLY_LAST_DAY}")
    if _never_above(daily, SEVERE):
        return IcahtGrade(4, f"grade 4: ANC never above {SEVERE}/µL from day 0 to day {last_day}")
    severe = _longest_episode(daily, SEVERE)
    profound = _longest_episode(daily, PROFOUND)
    by_severe = (_severe_grade(severe.days if severe else 0), SEVERE, severe)
    by_profound = (_profound_grade(profound.days if profound else 0), PROFOUND, profound)
    grade, threshold, episode = max(by_severe, by_profound, key=lambda graded: graded[0])
    if grade == 0:
        return IcahtGrade(0, f"grade 0: no ANC ≤{SEVERE}/µL from day 0 to day {last_day}")
    return IcahtGrade(grade, f"grade {grade}: ANC ≤{threshold}/µL for {_described(episode)}")


def _described(episode: Episode) -> str:
    if episode.days == 1:
        return f"1 day (day {episode.first_day})"
    return f"{episode.days} days (days {episode.first_day}–{episode.last_day})"


def _severe_grade(days: int) -> int:
    if days >= 14:
        return 3
    if days >= 7:
        return 2
    return 1 if days >= 1 else 0


def _profound_grade(days: int) -> int:
    if days >= 14:
        return 4
    return 3 if days >= 7 else 0


def _lowest_per_day(anc: Iterable[Measurement], first: int, last: int) -> dict[int, float]:
    """ANC /µL by day in days first-last: the lower of two values on a day."""
    lowest: dict[int, float] = {}
    for measurement in anc:
        if first <= measurement.day <= last:
            per_ul = measurement.level * PER_UL
            lowest[measurement.day] = min(per_ul, lowest.get(measurement.day, per_ul))
    return dict(sorted(lowest.items()))


def _daily_anc(measured: dict[int, float], last_day: int) -> list[float | Fraction | None]:
    """ANC /µL of each day 0 to last_day, None where unknown (module docstring)."""
    if not measured:
        return []
    days = list(measured)
    daily: list[float | Fraction | None] = [None] * (last_day + 1)
    for day, anc in measured.items():
        daily[day] = anc
    if days[0] <= MAX_INTERPOLATED_DAYS:
        daily[: days[0]] = [measured[days[0]]] * days[0]
    if last_day - days[-1] <= MAX_INTERPOLATED_DAYS:
        daily[days[-1] :] = [measured[days[-1]]] * (last_day - days[-1] + 1)
    for day, next_day in zip(days, days[1:], strict=False):
        if next_day - day - 1 <= MAX_INTERPOLATED_DAYS:
            for between in range(day + 1, next_day):
                daily[between] = _interpolated(measured, day, next_day, between)
    return daily


def _interpolated(measured: dict[int, float], day: int, next_day: int, between: int):
    """The ANC of a day between two measured days, compared with the thresholds as its
    exact value would be: in floating point, except within rounding of a threshold,
    where it is worked out exactly."""
    low, high = measured[day], measured[next_day]
    anc = low + (high - low) * (between - day) / (next_day - day)
    if all(abs(anc - threshold) > NEAR_THRESHOLD for threshold in (SEVERE, PROFOUND)):
        return anc
    low, high = Fraction(low), Fraction(high)
    return low + (high - low) * (between - day) / (next_day - day)


def _never_above(daily: list[float | Fraction | None], threshold: int) -> bool:
    complete = len(daily) == EARLY_LAST_DAY + 1
    return complete and all(anc is not None and anc <= threshold for anc in daily)


def _longest_episode(daily: list[float | Fraction | None], threshold: int) -> Episode | None:
    episodes: list[Episode] = []
    for day, anc in enumerate(daily):
        if anc is None or anc > threshold:
            continue
        if episodes and day - episodes[-1].last_day <= SHORTEST_RECOVERY_DAYS:
            start = episodes.pop().first_day
            episodes.append(Episode(day - start + 1, start, day))
        else:
            episodes.append(Episode(1, day, day))
    return max(episodes, key=lambda episode: episode.days, default=None)


def late_icaht(
    anc: Iterable[Measurement],
    *,
    relapse_day: int | None = None,
    next_therapy_day: int | None = None,
    allo_hct_day: int | None = None,
) -> IcahtGrade:
    """Late ICAHT grade (0-4) from ANC values in 10^9/L, censored at the earliest of
    relapse, next therapy and allo-HCT."""
    end, censoring = _late_window_end(relapse_day, next_therapy_day, allo_hct_day)
    measured = _lowest_per_day(anc, LATE_FIRST_DAY, end)
    if not measured:
        return IcahtGrade(None, f"no ANC values from day {LATE_FIRST_DAY} to day {end}{censoring}")
    last_anc = list(measured.values())[-1]
    for grade, threshold in LATE_THRESHOLDS:
        low_days = [day for day, anc in measured.items() if anc <= threshold]
        if len(low_days) >= 2:
            found = f"on {len(low_days)} measurements (days {_listed(low_days)})"
        elif low_days and last_anc <= threshold:
            found = f"on day {low_days[0]}, not followed by recovery"
        else:
            continue
        return IcahtGrade(grade, f"grade {grade}: ANC ≤{threshold}/µL {found}{censoring}")
    highest = LATE_THRESHOLDS[-1][1]
    return IcahtGrade(
        0,
        f"grade 0: no ANC ≤{highest}/µL confirmed from day {LATE_FIRST_DAY} to day "
        f"{end}{censoring}",
    )


def _late_window_end(
    relapse_day: int | None, next_therapy_day: int | None, allo_hct_day: int | None
) -> tuple[int, str]:
    """The last day of the late window, and the words that say why when it is not 100."""
    censorings = [
        (day, event)
        for day, event in (
            (relapse_day, "relapse"),
            (next_therapy_day, "next therapy"),
            (allo_hct_day, "allo-HCT"),
        )
        if day is not None and day < LATE_LAST_DAY
    ]
    if not censorings:
        return LATE_LAST_DAY, ""
    day, event = min(censorings, key=lambda censoring: censoring[0])
    return day, f"; censored at {event} on day {day}"


def _listed(days: list[int]) -> str:
    return " and ".join(str(day) for day in days) if len(days) == 2 else f"{days[0]}–{days[-1]}"
