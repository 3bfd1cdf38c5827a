"""The lab columns at a clinical cut-off (analytics.cutoff): the answer at a cut-off is the
answer from scratch on the records truncated at it, and a patient whose only values after
the cut-off lie beyond every window a report reads is not counted again."""

from datetime import date, timedelta

import pytest

from analytics.cohort import patients_frame
from analytics.cutoff import recounts
from analytics.dataset import (
    B_CELL_APLASIA,
    DATASET_COLUMNS,
    GRADES,
    ICAHT,
    LABS,
    PART_COLUMNS,
    PEAKS,
    analysis_values,
)
from registry import models
from tests import factories
from tests.analytics.conftest import ANSWER_DATES

CUTOFF = date(2021, 7, 31)
# Values after day 100 (ICAHT's last window day) and after day 30 (the peaks'), on both
# sides of the cut-off for each patient.
ANC_DAYS = (0, 3, 7, 10, 14, 21, 28, 35, 50, 70, 80, 150, 210, 300)
IL6_DAYS = (-1, 3, 10, 25, 60, 210, 250)


def infused(subject_id: str, day_at_cutoff: int) -> models.Patient:
    """A patient on day `day_at_cutoff` after the infusion at the cut-off, followed a year
    past it; no site record of grades but CRS grade 2, so that both CRS groups of
    biomarkers/ have patients."""
    patient = factories.PatientFactory(
        subject_id=subject_id, last_contact_date=CUTOFF + timedelta(days=365)
    )
    factories.InfusionFactory(patient=patient, date=CUTOFF - timedelta(days=day_at_cutoff))
    models.ToxicityRecord.objects.create(patient=patient, crs_max_grade=2, icaht_grade=4)
    return patient


def lab(patient: models.Patient, analyte: str, unit: str, day: int, value: float, specimen="pb"):
    factories.LabResultFactory(
        patient=patient, day=day, analyte=analyte, unit=unit, value=value, specimen=specimen
    )


def course(patient: models.Patient, *, anc, il6, b_cells) -> None:
    for day in ANC_DAYS:
        lab(patient, "anc", "10^9/L", day, anc(day))
    for day in IL6_DAYS:
        lab(patient, "il6", "pg/mL", day, il6(day))
    for day, level in b_cells:
        lab(patient, "b_cells_pct", "%", day, level, specimen="bm")


def event(patient: models.Patient, kind: str, day: int) -> None:
    start = patient.infusions.get().date
    factories.FollowUpEventFactory(patient=patient, kind=kind, date=start + timedelta(days=day))


@pytest.fixture
def courses(reader) -> dict[str, models.Patient]:
    """Three courses cut at different places by the cut-off (ASTCT ICAHT, registry.icaht;
    peaks and aplasia, registry.biomarkers):

    - E01, day 20 at the cut-off: ANC 0.3 x10^9/L to day 35, 2.0 from day 50. Known at the
      cut-off: ≤500/µL days 0-20 (day 14's value held to day 20, the last day followed):
      21 days, early grade 3; in all: ≤500/µL every day 0-30, grade 4. IL-6 peaks at 500
      on day 10 by the cut-off, 2000 on day 25 in all.
    - L01, day 60: ANC 0.4 on days 35 and 50, 0.05 on days 70 and 80, a relapse on day
      75. Known at the cut-off: late grade 3 (two values ≤500/µL); in all: censored at the
      relapse, the last value of the window (day 70) ≤100/µL, grade 4.
    - Z01, day 200: every value of the ICAHT and peak windows is before the cut-off; after
      it only ANC and IL-6 beyond them, a relapse on day 250, and B cells on day 230.
    """
    early = infused("E01", 20)
    course(
        early,
        anc=lambda day: 0.3 if day <= 35 else 2.0,
        il6=lambda day: {-1: 10.0, 3: 100.0, 10: 500.0, 25: 2000.0}.get(day, 50.0),
        b_cells=[(14, 1.0), (60, 0.5), (90, 4.0)],
    )
    late = infused("L01", 60)
    course(
        late,
        anc=lambda day: {35: 0.4, 50: 0.4, 70: 0.05, 80: 0.05}.get(day, 2.0),
        il6=lambda day: 30.0,
        b_cells=[(28, 1.0), (90, 5.0)],
    )
    event(late, "relapse", 75)
    beyond = infused("Z01", 200)
    course(
        beyond,
        anc=lambda day: 0.2 if day <= 10 else 1.2,
        il6=lambda day: 40.0 if day != 10 else 800.0,
        b_cells=[(28, 1.0), (190, 1.5), (230, 6.0)],
    )
    event(beyond, "relapse", 250)
    return {"E01": early, "L01": late, "Z01": beyond}


def truncate_at_cutoff(patients) -> None:
    """Every record after the cut-off removed, as if the registry were read on that day
    (the last contact no later than it), written as a clinician's writes would be."""
    for patient in patients:
        day = (CUTOFF - patient.infusions.get().date).days
        for lab_result in patient.labs.filter(day__gt=day):
            lab_result.delete()
        for follow_up in patient.events.filter(date__gt=CUTOFF):
            follow_up.delete()
        patient.refresh_from_db()
        patient.last_contact_date = min(patient.last_contact_date, CUTOFF)
        patient.save()


def answer(analytics, name: str, **params) -> dict:
    response = analytics(name, **params)
    assert response.status_code == 200, response.content
    found = response.json()
    # What each answer says of its dates, which differ by the cut-off asked for.
    for key in ANSWER_DATES:
        found.pop(key, None)
    return found


def lab_columns(analytics, **params) -> dict[str, dict]:
    # The served ones: each group's own last day is internal (INTERNAL_COLUMNS).
    columns = {column for part in LABS for column in PART_COLUMNS[part]} & {*DATASET_COLUMNS}
    rows = answer(analytics, "dataset", **params)["results"]
    return {row["study_id"]: {name: row[name] for name in columns} for row in rows}


@pytest.mark.parametrize("name", ["toxicity", "biomarkers"])
def test_an_answer_at_the_cutoff_is_the_answer_on_the_records_up_to_it(analytics, courses, name):
    at_cutoff = answer(analytics, name, cutoff=CUTOFF.isoformat())
    everything = answer(analytics, name, cutoff="none")
    # The values after the cut-off change the answer: the cut-off has something to do.
    assert at_cutoff != everything
    truncate_at_cutoff(courses.values())
    assert at_cutoff == answer(analytics, name, cutoff="none")


def test_the_lab_columns_at_the_cutoff_are_those_of_the_records_up_to_it(analytics, courses):
    at_cutoff = lab_columns(analytics, cutoff=CUTOFF.isoformat())
    assert (at_cutoff["E01"]["icaht_early_grade"], at_cutoff["L01"]["icaht_late_grade"]) == (3, 3)
    assert (at_cutoff["E01"]["il6_peak_pg_ml"], at_cutoff["E01"]["il6_peak_day"]) == (500.0, 10)
    everything = lab_columns(analytics, cutoff="none")
    assert (everything["E01"]["icaht_early_grade"], everything["L01"]["icaht_late_grade"]) == (
        4,
        4,
    )
    assert everything["E01"]["il6_peak_pg_ml"] == 2000.0
    truncate_at_cutoff(courses.values())
    assert at_cutoff == lab_columns(analytics, cutoff="none")


def test_only_patients_with_values_in_a_window_read_after_the_cutoff_are_counted_again(
    courses,
):
    study = courses["E01"].study
    frame = patients_frame(analysis_values(study.patients.all()))
    # toxicity/ reads the grades and ICAHT: Z01's ANC after the cut-off lies beyond day 100.
    assert set(recounts(frame, CUTOFF, (GRADES, *ICAHT))) == {"E01", "L01"}
    # biomarkers/ reads the peaks: only E01 has a value of days 0-30 after the cut-off.
    assert set(recounts(frame, CUTOFF, (GRADES, PEAKS))) == {"E01"}
    # The aplasia reads the whole B-cell series: Z01's B cells of day 230 count.
    assert set(recounts(frame, CUTOFF, (B_CELL_APLASIA,))) == {"E01", "L01", "Z01"}


def test_the_early_window_of_a_patient_followed_past_the_cutoff_ends_at_it(analytics, reader):
    # ANC 0.3 x10^9/L on days 0-24, then a value on day 150 only. In all, day 24's value is
    # held to day 30 (6 days): ≤500/µL every day 0-30, early grade 4. At the cut-off, day
    # 25, the patient is followed to day 25: 26 days ≤500/µL, grade 3, although no value of
    # the early window lies after the cut-off.
    patient = infused("F01", 25)
    for day in (0, 3, 7, 10, 14, 17, 21, 24):
        lab(patient, "anc", "10^9/L", day, 0.3)
    lab(patient, "anc", "10^9/L", 150, 1.5)
    assert lab_columns(analytics, cutoff="none")["F01"]["icaht_early_grade"] == 4
    at_cutoff = answer(analytics, "toxicity", cutoff=CUTOFF.isoformat())
    assert at_cutoff["icaht"]["early_grade_3_or_higher"] == 1
    assert lab_columns(analytics, cutoff=CUTOFF.isoformat())["F01"]["icaht_early_grade"] == 3
    truncate_at_cutoff([patient])
    assert at_cutoff == answer(analytics, "toxicity", cutoff="none")
