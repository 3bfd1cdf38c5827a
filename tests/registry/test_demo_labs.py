"""The lab series, qPCR counts and dated toxicity treatments of the synthetic cohort
(registry.demo): their shape on a large seed, read with the registry's own rules."""

import json
import statistics
from collections import Counter, defaultdict
from datetime import date

import pytest

from registry import biomarkers, icaht, models
from registry.analytes import ANALYTES, Measurement, to_series_unit
from registry.demo import synthetic_cohort, synthetic_cohort_import
from registry.demo.study import COUNT_DAYS
from registry.demo.toxicity import graded_days
from registry.interchange.exporter import iter_cohort_json
from registry.interchange.importer import cohort_import
from registry.validators import completed_years

PATIENTS = 2000


@pytest.fixture(scope="module")
def patients() -> list[dict]:
    return synthetic_cohort(code="LABS", patients=PATIENTS, sites=6, seed=31)["patients"]


def with_labs(patients: list[dict]) -> list[dict]:
    return [patient for patient in patients if patient.get("labs")]


def series(patient: dict, analyte: str) -> list[Measurement]:
    """One analyte's values in its series unit, as the registry computes with them."""
    return [
        Measurement(
            lab["day"],
            to_series_unit(analyte, lab["value"], lab["unit"]),
            lab.get("below_detection", False),
        )
        for lab in patient["labs"]
        if lab["analyte"] == analyte
    ]


def day_of(patient: dict, when: str) -> int:
    infused = date.fromisoformat(patient["infusions"][0]["date"])
    return (date.fromisoformat(when) - infused).days


def test_it_gives_three_patients_in_four_a_lab_series(patients):
    share = len(with_labs(patients)) / PATIENTS

    assert 0.70 <= share <= 0.80


def test_it_gives_about_thirty_values_per_patient(patients):
    # About 3 million rows for 100,000 patients (issue #18): about 40 per patient with a
    # series, one patient in four without.
    per_patient = [len(patient.get("labs", [])) for patient in patients]
    with_series = [count for count in per_patient if count]

    assert 27 <= statistics.mean(per_patient) <= 35
    assert 35 <= statistics.median(with_series) <= 50
    assert min(with_series) >= 25


def test_it_counts_anc_and_platelets_twice_a_week_to_day_28_then_monthly(patients):
    for patient in with_labs(patients)[:200]:
        for analyte in ("anc", "platelets"):
            days = [value.day for value in series(patient, analyte)]
            early = [day for day in days if day <= 28]
            later = [day for day in days if day > 28]
            assert early == [0, 3, 7, 10, 14, 17, 21, 24, 28]
            gaps = [after - before for before, after in zip(later, later[1:], strict=False)]
            assert all(24 <= gap <= 37 for gap in gaps), gaps


def test_it_measures_cytokines_on_a_baseline_and_four_or_five_days_of_two_weeks(patients):
    panels = Counter()
    for patient in with_labs(patients):
        analytes = {lab["analyte"] for lab in patient["labs"]}
        panels[frozenset(analytes & {"il6", "ifng", "il10", "crp", "ferritin"})] += 1
        for analyte in analytes & {"il6", "ifng", "il10", "crp", "ferritin"}:
            days = [value.day for value in series(patient, analyte)]
            assert -5 <= days[0] <= 0
            assert 4 <= len(days[1:]) <= 5
            assert all(1 <= day <= 14 for day in days[1:])

    # One site in three (SITE-A and SITE-D of six) runs the cytokine panel.
    routine = frozenset({"crp", "ferritin"})
    full = routine | {"il6", "ifng", "il10"}
    assert set(panels) == {routine, full}
    assert 0.25 <= panels[full] / (panels[routine] + panels[full]) <= 0.42


def test_its_il6_peak_rises_with_the_crs_grade(patients):
    # The peak as the registry computes it (registry.biomarkers.peak, days 0-30).
    peaks = defaultdict(list)
    for patient in with_labs(patients):
        il6 = series(patient, "il6")
        if il6:
            group = "2+" if patient["toxicities"]["crs_max_grade"] >= 2 else "0-1"
            peaks[group].append(biomarkers.peak(il6).peak)

    assert len(peaks["2+"]) >= 50
    assert statistics.median(peaks["2+"]) > 3 * statistics.median(peaks["0-1"])


def test_its_anc_nadirs_give_mostly_early_icaht_grades_0_to_2(patients):
    grades = Counter(
        icaht.early_icaht(series(patient, "anc")).grade for patient in with_labs(patients)[:600]
    )
    total = sum(grades.values())

    assert None not in grades
    assert (grades[0] + grades[1] + grades[2]) / total >= 0.75
    assert 0.03 <= (grades[3] + grades[4]) / total <= 0.25
    assert grades[4] >= 1


def test_its_b_cells_agree_with_the_recorded_recovery(patients):
    checked = 0
    for patient in with_labs(patients):
        b_cells = series(patient, "b_cells_pct")
        events = {event["kind"]: day_of(patient, event["date"]) for event in patient["events"]}
        if "b_cell_recovery" not in events or not b_cells:
            continue
        discrepancy = biomarkers.b_cell_recovery_discrepancy(
            b_cells,
            recorded_day=events["b_cell_recovery"],
            threshold_pct=3.0,
            specimen="pb",
            allo_hct_day=events.get("allo_hct"),
        )
        assert discrepancy is None, (patient["study_id"], discrepancy)
        checked += 1

    assert checked >= 100


def test_its_responders_have_b_cell_aplasia_from_the_first_month(patients):
    responders = [
        patient
        for patient in with_labs(patients)
        if patient["response_assessments"][0]["status"] in ("cr", "cri")
    ]
    for patient in responders[:300]:
        aplasia = biomarkers.b_cell_aplasia(
            series(patient, "b_cells_pct"), threshold_pct=3.0, specimen="pb"
        )
        assert aplasia.start_day is not None and aplasia.start_day <= 33


def test_it_enters_some_values_below_detection_and_a_few_in_another_unit(patients):
    labs = [lab for patient in with_labs(patients) for lab in patient["labs"]]
    below = Counter(lab["analyte"] for lab in labs if lab.get("below_detection"))
    units = Counter(
        (lab["analyte"], lab["unit"])
        for lab in labs
        if lab["unit"] != next(iter(ANALYTES[lab["analyte"]].units))
    )

    assert {"b_cells_pct", "il6"} <= set(below)
    assert {("anc", "/uL"), ("platelets", "/uL"), ("crp", "mg/dL"), ("ferritin", "ug/L")} <= set(
        units
    )
    assert 0.01 <= sum(units.values()) / len(labs) <= 0.05


def test_it_converts_an_anc_in_another_unit_to_the_same_count(patients):
    entered = [
        lab
        for patient in with_labs(patients)
        for lab in patient["labs"]
        if lab["analyte"] == "anc" and lab["unit"] == "/uL" and not lab.get("below_detection")
    ]

    # 1 x10^9/L = 1000/µL (registry.analytes): a count in /µL is a whole number of cells.
    assert all(lab["value"] == round(lab["value"]) for lab in entered)
    assert all(0.01 <= to_series_unit("anc", lab["value"], "/uL") <= 20 for lab in entered)


def test_it_measures_qpcr_beside_every_flow_count(patients):
    counts = [count for patient in patients for count in patient["car_t_counts"]]
    qpcr_only = [
        patient
        for patient in patients
        if all(count["cells_per_ul"] == 0 for count in patient["car_t_counts"])
        and any(count["copies_per_ug_dna"] > 0 for count in patient["car_t_counts"])
    ]

    assert all("copies_per_ug_dna" in count for count in counts)
    assert [count["day"] for count in patients[0]["car_t_counts"]] == list(COUNT_DAYS)
    assert all(count["copies_per_ug_dna"] > 0 for count in counts if count["cells_per_ul"] > 0)
    assert qpcr_only


def test_it_gives_toxicity_treatments_on_the_days_the_assessments_call_for(patients):
    for patient in patients[:600]:
        born, infused = (patient["birth_date"], patient["infusions"][0]["date"])
        age = completed_years(date.fromisoformat(born), date.fromisoformat(infused))
        graded = graded_days(patient["daily_assessments"], age, None)
        treatments = patient.get("toxicity_treatments", [])
        given = {treatment["treatment"] for treatment in treatments}
        recorded = patient["toxicities"]
        for treatment in treatments:
            day = treatment["day"]
            if treatment["treatment"] == "tocilizumab":
                assert graded.crs[day] >= 2
            if treatment["treatment"] == "corticosteroid":
                assert graded.crs[day] >= 3 or graded.icans[day] >= 2
            if treatment["treatment"] == "plasmapheresis":
                assert graded.crs[day] == 4
        assert recorded["tocilizumab"] == ("tocilizumab" in given)
        assert recorded["corticosteroids"] == ("corticosteroid" in given)
        assert recorded["plasmapheresis"] == ("plasmapheresis" in given)
        assert (max(graded.crs) >= 2) == ("tocilizumab" in given)


def test_it_draws_the_same_lab_series_for_a_seed():
    first = synthetic_cohort(patients=40, seed=3)["patients"]
    again = synthetic_cohort(patients=40, seed=3)["patients"]
    other = synthetic_cohort(patients=40, seed=4)["patients"]

    assert [patient.get("labs") for patient in first] == [p.get("labs") for p in again]
    assert [patient.get("labs") for patient in first] != [p.get("labs") for p in other]


@pytest.mark.django_db
def test_a_generated_cohort_round_trips_through_export_and_import_exactly():
    document = synthetic_cohort(code="TRIP", patients=120, sites=4, seed=12)
    labs = sum(len(patient.get("labs", [])) for patient in document["patients"])
    study = synthetic_cohort_import(data=document).study

    exported = json.loads("".join(iter_cohort_json(study)))
    again = cohort_import(data=exported)

    assert exported == document
    assert models.LabResult.objects.filter(patient__study=study).count() == labs > 3000
    assert (again.created, again.changed, again.unchanged) == (0, 0, 120)
    assert again.records.written == 0
