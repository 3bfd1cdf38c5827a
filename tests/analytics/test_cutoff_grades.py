"""The clinical cut-off and the grades computed from the daily assessments: an assessment
of a day after the cut-off does not count (analytics.cutoff), in every answer built on
the analysis frame."""

from datetime import date, timedelta
from unittest import mock

import pytest
from django.test import Client
from django.utils import timezone

from analytics import results
from registry import models
from tests import factories
from tests.analytics.conftest import discrepancy

INFUSED = date(2021, 7, 10)  # the cut-off, 2021-07-31 (the study's), is day 21
LATER_DAY = 25  # 2021-08-04


@pytest.fixture
def graded_after_the_cutoff(reader) -> models.Patient:
    """No site record of grades: CRS grade 1 (fever) on day 1 and ICANS grade 1 (ICE 8) on
    day 5; on day 25, after the cut-off, CRS grade 3 (a vasopressor) and ICANS grade 3
    (ICE 2), by registry.grading's ASTCT rules."""
    patient = factories.PatientFactory(subject_id="G01", last_contact_date=date(2021, 10, 1))
    factories.InfusionFactory(patient=patient, date=INFUSED)
    factories.DailyAssessmentFactory(patient=patient, day=1, temperature_c=38.5)
    factories.DailyAssessmentFactory(patient=patient, day=5, temperature_c=37.0, ice_score=8)
    factories.DailyAssessmentFactory(
        patient=patient, day=LATER_DAY, temperature_c=39.0, vasopressors=1, ice_score=2
    )
    return patient


def grades(analytics, **params) -> dict:
    response = analytics("dataset", **params)
    assert response.status_code == 200, response.content
    (row,) = [row for row in response.json()["results"] if row["study_id"] == "G01"]
    columns = ("crs_grade", "crs_grade_computed", "icans_grade", "icans_grade_computed")
    return {column: row[column] for column in (*columns, "daily_assessment_last_day")}


def test_a_grade_of_a_day_after_the_cutoff_does_not_count(analytics, graded_after_the_cutoff):
    assert grades(analytics) == {
        "crs_grade": 1,
        "crs_grade_computed": 1,
        "icans_grade": 1,
        "icans_grade_computed": 1,
        "daily_assessment_last_day": 5,
    }
    assert grades(analytics, cutoff="none") == {
        "crs_grade": 3,
        "crs_grade_computed": 3,
        "icans_grade": 3,
        "icans_grade_computed": 3,
        "daily_assessment_last_day": LATER_DAY,
    }
    # The day of the cut-off counts.
    on_the_day = (INFUSED + timedelta(days=LATER_DAY)).isoformat()
    assert grades(analytics, cutoff=on_the_day)["crs_grade_computed"] == 3


def test_the_site_s_record_is_compared_with_the_grades_at_the_cutoff(
    analytics, graded_after_the_cutoff
):
    # The site's record carries no date: it is kept whole, as the exports keep it
    # (registry.cutoff), and compared with what the assessments up to the cut-off show.
    models.ToxicityRecord.objects.create(
        patient=graded_after_the_cutoff, crs_max_grade=3, icans_max_grade=3
    )
    toxicity = analytics("toxicity").json()
    assert toxicity["discrepancies"]["patients"] == [discrepancy("G01", crs=(3, 1), icans=(3, 1))]
    assert analytics("toxicity", cutoff="none").json()["discrepancies"]["n"] == 0


def computed(distribution: list[dict]) -> dict:
    return {row["grade"]: row["n"] for row in distribution if row["n"]}


def test_the_toxicity_report_counts_the_grades_at_the_cutoff(analytics, graded_after_the_cutoff):
    cut = analytics("toxicity").json()
    assert computed(cut["crs"]["computed"]) == computed(cut["crs"]["distribution"]) == {1: 1}
    assert computed(cut["icans"]["computed"]) == {1: 1}
    assert (cut["crs"]["grade_3_or_higher"], cut["icans"]["grade_3_or_higher"]) == (0, 0)
    everything = analytics("toxicity", cutoff="none").json()
    assert computed(everything["crs"]["computed"]) == {3: 1}
    assert everything["icans"]["grade_3_or_higher"] == 1


def test_the_dashboard_s_grades_are_those_at_the_cutoff(reader, graded_after_the_cutoff):
    client = Client()
    client.force_login(reader)

    def crs_computed(**params) -> dict:
        page = client.get("/studies/HCD19/dashboard/", params)
        (toxicity,) = page.context["plots"]["grades"]["data"]
        return computed(toxicity["crs"]["computed"])

    assert crs_computed() == {1: 1}
    assert crs_computed(cutoff="none") == {3: 1}


def test_table_2_counts_the_grade_at_the_cutoff(analytics, graded_after_the_cutoff):
    def crs_rows(**params) -> dict:
        rows = analytics("tables/outcomes", **params).json()["rows"]
        return {row["characteristic"]: row["n"] for row in rows if row["section"] == "Grade of CRS"}

    assert crs_rows() == {"1": 1}
    assert crs_rows(cutoff="none") == {"3": 1}


def test_a_split_by_grade_takes_the_grade_at_the_cutoff(analytics, graded_after_the_cutoff):
    factories.ResponseAssessmentFactory(patient=graded_after_the_cutoff, day=21)

    def groups(**params) -> list:
        answer = analytics("response", by="crs_grade", **params).json()
        return [group["value"] for group in answer["groups"]]

    assert groups() == [1]
    assert groups(cutoff="none") == [3]


def test_the_grades_as_recorded_on_a_day_are_cut_too(analytics, graded_after_the_cutoff):
    today = timezone.localdate().isoformat()
    assert grades(analytics, as_of=today)["crs_grade_computed"] == 1
    assert grades(analytics, as_of=today, cutoff="none")["crs_grade_computed"] == 3


def test_the_assessments_up_to_the_cutoff_are_read_once_per_data_version(
    analytics, graded_after_the_cutoff
):
    with mock.patch.object(results, "parts_up_to", wraps=results.parts_up_to) as read:
        analytics("toxicity")
        analytics("toxicity", population="responders")
        assert read.call_count == 1
        factories.DailyAssessmentFactory(patient=graded_after_the_cutoff, day=2)
        analytics("toxicity")
        assert read.call_count == 2
        # At a cut-off after every assessment, nothing is read again.
        analytics("toxicity", cutoff="2021-09-01")
        assert read.call_count == 2
