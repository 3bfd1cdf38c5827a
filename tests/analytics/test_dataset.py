"""The analysis dataset: each row value derived from a patient's course, the query count
pinned, and GET .../analytics/dataset/ as JSON and CSV."""

import csv
import io
from datetime import date, timedelta

import pytest
from drf_spectacular.generators import SchemaGenerator

from analytics.dataset import (
    COLUMNS,
    DATASET_COLUMNS,
    GRADES,
    KINETICS,
    PART_COLUMNS,
    analysis_rows,
)
from registry import models
from tests import factories
from tests.factories import INFUSION_DATE

pytestmark = pytest.mark.django_db


def infused_patient(**fields) -> models.Patient:
    patient = factories.PatientFactory(**fields)
    factories.InfusionFactory(patient=patient)
    return patient


def row_of(patient: models.Patient) -> dict:
    (row,) = analysis_rows(models.Patient.objects.filter(pk=patient.pk))
    return row


def on_day(day: int) -> date:
    return INFUSION_DATE + timedelta(days=day)


def test_it_has_every_column_in_order():
    assert list(row_of(infused_patient())) == list(COLUMNS)


@pytest.mark.parametrize(
    "sites, marrow, status, cns, count",
    [
        ([], 40.0, "isolated_bm", False, 0),
        (["cns"], 40.0, "bm_and_emd", True, 1),
        (["skin", "bone"], 5.1, "bm_and_emd", False, 2),
        (["skin", "bone"], 5.0, "emd_only", False, 2),
        (["testis"], None, None, False, 1),
    ],
)
def test_it_classifies_disease_at_enrolment(sites, marrow, status, cns, count):
    patient = infused_patient()
    models.Eligibility.objects.create(
        patient=patient, bm_blast_pct=marrow, extramedullary_sites=sites
    )
    row = row_of(patient)
    assert (row["disease_status"], row["cns_involvement"], row["emd_sites"]) == (
        status,
        cns,
        count,
    )


def test_it_leaves_disease_unknown_without_eligibility():
    row = row_of(infused_patient())
    assert (row["disease_status"], row["cns_involvement"], row["emd_sites"]) == (None, None, None)


@pytest.mark.parametrize(
    "responses, resistant",
    [(["nr"], True), (["nr", "nr"], True), (["cr", "nr"], False), ([], False)],
)
def test_it_finds_primary_resistance_to_murine_car_t(responses, resistant):
    patient = infused_patient()
    for month, response in enumerate(responses, start=1):
        factories.PriorTherapyFactory(
            patient=patient, date=date(2019, month, 1), best_response=response, relapse_date=None
        )
    row = row_of(patient)
    assert (row["mcd19_infusions"], row["mcd19_primary_resistant"]) == (len(responses), resistant)


def test_it_measures_the_interval_from_the_last_murine_car_t():
    patient = infused_patient()
    factories.PriorTherapyFactory(patient=patient, date=date(2018, 1, 15))
    factories.PriorTherapyFactory(patient=patient, date=date(2019, 1, 15))
    factories.PriorTherapyFactory(patient=patient, kind="cd22_cart", date=date(2019, 6, 1))
    row = row_of(patient)
    assert row["mcd19_interval_months"] == pytest.approx(365 / 30.4375)
    assert (row["prior_cd22_cart"], row["prior_allo_hct"]) == (True, False)


def test_it_gives_age_in_completed_years_at_infusion():
    # Born 2000-03-01, infused 2020-01-15: 19 completed years.
    row = row_of(infused_patient(birth_date=date(2000, 3, 1)))
    assert (row["age_years"], row["age_group"]) == (19, "adult")
    assert row_of(infused_patient(birth_date=date(2002, 1, 16)))["age_group"] == "child"


def test_it_takes_the_site_record_of_grades_and_flags_a_discrepancy():
    patient = infused_patient()
    factories.DailyAssessmentFactory(patient=patient, day=1, temperature_c=38.5)
    models.ToxicityRecord.objects.create(patient=patient, crs_max_grade=2, icans_max_grade=0)
    row = row_of(patient)
    assert (row["crs_grade"], row["crs_grade_computed"], row["crs_grade_recorded"]) == (2, 1, 2)
    assert row["grade_discrepancy"] is True


def test_it_computes_grades_where_the_site_recorded_none():
    patient = infused_patient()
    factories.DailyAssessmentFactory(patient=patient, day=1, temperature_c=38.5)
    factories.DailyAssessmentFactory(
        patient=patient, day=2, temperature_c=39.0, vasopressors=1, ice_score=5
    )
    row = row_of(patient)
    assert (row["crs_grade"], row["icans_grade"]) == (3, 2)
    assert row["grade_discrepancy"] is None


def test_it_grades_a_child_under_12_by_capd():
    # clinical-rules.md, ICANS: under 12 the CAPD score replaces ICE; CAPD >= 9 is grade 3.
    patient = infused_patient(birth_date=date(2012, 1, 1))
    factories.DailyAssessmentFactory(
        patient=patient, day=3, temperature_c=37.0, ice_score=10, capd_score=9
    )
    assert row_of(patient)["icans_grade_computed"] == 3


def test_it_has_no_computed_grade_without_daily_assessments():
    patient = infused_patient()
    models.ToxicityRecord.objects.create(patient=patient, crs_max_grade=1, icans_max_grade=0)
    row = row_of(patient)
    assert (row["crs_grade"], row["crs_grade_computed"], row["grade_discrepancy"]) == (
        1,
        None,
        None,
    )


def test_it_takes_the_earliest_response_from_day_21_to_45():
    patient = infused_patient()
    factories.ResponseAssessmentFactory(patient=patient, day=20, status="nr", mrd="positive")
    factories.ResponseAssessmentFactory(patient=patient, day=28, status="cri", mrd="negative")
    factories.ResponseAssessmentFactory(patient=patient, day=40, status="nr", mrd="positive")
    row = row_of(patient)
    assert (row["d30_response"], row["responder"], row["mrd"]) == ("cri", True, "negative")


def test_it_has_no_response_without_an_assessment_in_the_window():
    patient = infused_patient()
    factories.ResponseAssessmentFactory(patient=patient, day=46)
    assert (row_of(patient)["d30_response"], row_of(patient)["responder"]) == (None, None)


@pytest.mark.parametrize(
    "status, transplant_day, relapse_day, consolidative",
    [
        ("cr", 50, None, True),
        ("cr", 50, 200, True),
        ("cr", 250, 200, False),
        ("nr", 50, None, False),
    ],
)
def test_it_finds_a_consolidative_transplant(status, transplant_day, relapse_day, consolidative):
    patient = infused_patient()
    factories.ResponseAssessmentFactory(patient=patient, status=status)
    factories.FollowUpEventFactory(patient=patient, kind="allo_hct", date=on_day(transplant_day))
    if relapse_day:
        factories.FollowUpEventFactory(
            patient=patient, kind="relapse", date=on_day(relapse_day), cd19="negative"
        )
    row = row_of(patient)
    assert row["hct_after_infusion"] is True
    assert row["consolidative_hct"] is consolidative
    assert row["hct_months"] == pytest.approx(transplant_day / 30.4375)


def test_it_times_events_and_survival_from_the_infusion():
    patient = infused_patient(last_contact_date=on_day(300))
    factories.FollowUpEventFactory(
        patient=patient, kind="relapse", date=on_day(100), cd19="negative"
    )
    factories.FollowUpEventFactory(patient=patient, kind="death", date=on_day(300), cause="disease")
    row = row_of(patient)
    assert (row["relapse"], row["relapse_cd19"], row["death"], row["death_cause"]) == (
        True,
        "negative",
        True,
        "disease",
    )
    assert (row["efs_event"], row["os_event"], row["nrm"]) == (True, True, False)
    assert row["efs_months"] == pytest.approx(100 / 30.4375)
    assert row["os_months"] == row["followup_months"] == pytest.approx(300 / 30.4375)


def test_it_censors_at_last_contact():
    row = row_of(infused_patient(last_contact_date=on_day(400)))
    assert (row["efs_event"], row["os_event"]) == (False, False)
    assert row["efs_months"] == row["os_months"] == pytest.approx(400 / 30.4375)


@pytest.mark.parametrize(
    "cause, relapse_day, nrm",
    [("transplant_related", None, True), ("disease", None, False), ("infection", 100, False)],
)
def test_it_tells_non_relapse_mortality(cause, relapse_day, nrm):
    patient = infused_patient(last_contact_date=on_day(200))
    if relapse_day:
        factories.FollowUpEventFactory(
            patient=patient, kind="relapse", date=on_day(relapse_day), cd19="positive"
        )
    factories.FollowUpEventFactory(patient=patient, kind="death", date=on_day(200), cause=cause)
    assert row_of(patient)["nrm"] is nrm


def test_it_summarises_car_t_kinetics():
    patient = infused_patient()
    for day, level in ((0, 0.0), (7, 5.2), (14, 2.0), (28, 0.0)):
        factories.CarTCountFactory(patient=patient, day=day, cells_per_ul=level)
    row = row_of(patient)
    assert (row["car_t_detected"], row["car_t_cmax_cells_per_ul"], row["car_t_tmax_day"]) == (
        True,
        5.2,
        7,
    )
    assert row["car_t_last_detected_day"] == 14
    # Trapezoids: 7*5.2/2 + 7*(5.2+2)/2 + 14*2/2 = 18.2 + 25.2 + 14
    assert row["car_t_auc_0_28"] == pytest.approx(57.4)


def test_it_has_no_kinetics_without_counts():
    row = row_of(infused_patient())
    assert [row[name] for name in PART_COLUMNS[KINETICS]] == [None] * len(PART_COLUMNS[KINETICS])


def test_at_a_cut_off_it_leaves_out_the_parts_not_asked_for(django_assert_num_queries):
    patient = infused_patient()
    with django_assert_num_queries(8):
        (row,) = analysis_rows(
            models.Patient.objects.filter(pk=patient.pk), parts=(), as_of=date.today()
        )
    assert not set(PART_COLUMNS[GRADES]) & set(row)
    assert not set(PART_COLUMNS[KINETICS]) & set(row)


def full_course(patient: models.Patient) -> None:
    models.Eligibility.objects.create(patient=patient, bm_blast_pct=40, extramedullary_sites=[])
    models.Genetics.objects.create(patient=patient, bcr_abl1=False)
    models.ToxicityRecord.objects.create(patient=patient, crs_max_grade=1)
    factories.PriorTherapyFactory(patient=patient)
    factories.DailyAssessmentFactory(patient=patient)
    factories.CarTCountFactory(patient=patient)
    factories.ResponseAssessmentFactory(patient=patient)
    factories.FollowUpEventFactory(patient=patient)


@pytest.mark.parametrize("patients", [1, 6])
def test_it_reads_in_a_constant_number_of_queries_whatever_the_cohort_size(
    patients, django_assert_num_queries
):
    for _ in range(patients):
        full_course(infused_patient())
    # The order and the kept rows; the stamps, the patients and their ten sections; the
    # patients still there and the upsert of their rows, in a savepoint.
    with django_assert_num_queries(18):
        rows = analysis_rows(models.Patient.objects.all())
    assert len(rows) == patients
    # Kept: the order and the rows.
    with django_assert_num_queries(2):
        assert analysis_rows(models.Patient.objects.all()) == rows


def test_it_serves_every_row(analytics, published):
    result = analytics("dataset").json()
    assert result["count"] == len(result["results"]) == 19
    assert set(result["results"][0]) == set(DATASET_COLUMNS)
    assert result["results"][0]["infusion_date"] == "2019-01-15"


LAB_GROUP_LAST_DAYS = (
    "icaht_early_last_day",
    "icaht_late_last_day",
    "bca_last_day",
    "peak_last_day",
)


def test_it_keeps_each_lab_groups_last_day_but_serves_none_of_them(analytics, published):
    stored = analysis_rows(models.Patient.objects.filter(study__code="HCD19"))
    assert all(column in stored[0] for column in LAB_GROUP_LAST_DAYS)
    served = analytics("dataset").json()["results"][0]
    header = analytics("dataset", format="csv").content.decode().splitlines()[0].split(",")
    schema = SchemaGenerator().get_schema(request=None, public=True)
    keys = schema["components"]["schemas"]["Dataset"]["properties"]["results"]["description"]
    for column in LAB_GROUP_LAST_DAYS:
        assert column not in served
        assert column not in header
        assert column not in keys
    assert "lab_last_day" in served and "lab_last_day" in header and "lab_last_day" in keys


def test_it_serves_the_responders_only(analytics, published):
    result = analytics("dataset", population="responders").json()
    assert result["count"] == 13
    assert all(row["responder"] for row in result["results"])


def test_it_serves_the_dataset_as_csv(analytics, published):
    response = analytics("dataset", format="csv")
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="HCD19-dataset.csv"' in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 19
    assert list(rows[0]) == list(DATASET_COLUMNS)
    assert (rows[0]["study_id"], rows[0]["relapse_cd19"], rows[0]["death"]) == ("P01", "", "True")


@pytest.mark.parametrize("patients", [1, 6])
def test_it_serves_the_dataset_in_a_constant_number_of_queries(
    analytics, patients, django_assert_num_queries
):
    for _ in range(patients):
        full_course(infused_patient())
    analysis_rows(models.Patient.objects.all())
    # The study, the sites the reader reads in it, its data version; at the study's
    # clinical cut-off, the rows are the kept frame's (analytics.frames): the patients'
    # stamps, the order and the kept rows, the sites' codes.
    with django_assert_num_queries(7):
        assert analytics("dataset").json()["count"] == patients
