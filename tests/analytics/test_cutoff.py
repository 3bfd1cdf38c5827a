"""The clinical cut-off (?cutoff=YYYY-MM-DD|none; the study's data_cutoff by default):
events, assessments and counts after it ignored, follow-up ended at it, patients infused
after it left out and counted. Distinct from ?as_of= (the data as recorded on a day)."""

import csv
import io
from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone
from lifelines import KaplanMeierFitter

from analytics.dataset import DATASET_COLUMNS
from registry import models
from registry.services import record_save
from registry.units import MONTH_DAYS
from tests import factories
from tests.trail import age_the_trail, correct_the_cohort

CUTOFF = date(2021, 7, 31)  # the study's data_cutoff (tests/factories.py, the document)
INFUSED = factories.INFUSION_DATE


def dataset(analytics, **params) -> dict:
    response = analytics("dataset", **params)
    assert response.status_code == 200, response.content
    return response.json()


def row(analytics, study_id: str, **params) -> dict:
    return {found["study_id"]: found for found in dataset(analytics, **params)["results"]}[study_id]


def months(start: date, end: date) -> float:
    return (end - start).days / MONTH_DAYS


@pytest.fixture
def followed_past_the_cutoff(reader) -> models.Patient:
    """Infused, a responder, alive and event-free, last seen half a year after the cut-off."""
    patient = factories.PatientFactory(subject_id="L01", last_contact_date=date(2022, 1, 31))
    factories.InfusionFactory(patient=patient)
    factories.ResponseAssessmentFactory(patient=patient)
    return patient


def test_every_answer_says_its_cutoff_and_as_of(analytics, published):
    for endpoint in ("response", "survival", "follow-up", "tables/outcomes", "dataset"):
        answer = analytics(endpoint).json()
        assert (answer["cutoff"], answer["as_of"]) == ("2021-07-31", None), endpoint
        assert answer["left_out_infused_after_cutoff"] == 0
        assert analytics(endpoint, cutoff="none").json()["cutoff"] is None


@pytest.mark.parametrize(
    "endpoint, params",
    [
        ("survival", {"population": "responders", "by": "hct_after_infusion", "times": "12,18"}),
        ("survival", {"population": "responders", "times": "12,18"}),
        ("cumulative-incidence", {}),
        ("tables/outcomes", {}),
        ("dataset", {}),
    ],
)
def test_the_published_cutoff_reproduces_the_published_figures_after_a_later_relapse(
    analytics, reader, published, endpoint, params
):
    # tests/analytics/test_published_cohort.py pins these answers to the paper's figures.
    before = analytics(endpoint, **params).json()
    relapse_after_the_cutoff(reader)

    assert analytics(endpoint, cutoff="2021-07-31", **params).json() == before


def relapse_after_the_cutoff(user) -> None:
    """P16, event-free at the cut-off (infused 2020-11-05), relapses on 2021-09-15."""
    patient = models.Patient.objects.get(subject_id="P16")
    patient.last_contact_date = date(2021, 10, 1)
    record_save(record=patient, user=user, reason="Seen again")
    relapse = models.FollowUpEvent(
        patient=patient, kind="relapse", date=date(2021, 9, 15), cd19="negative"
    )
    record_save(record=relapse, user=user, reason="Relapse")


# The 13 day-30 responders of the published cohort (hcd19-published-cohort.json): days from
# the infusion to relapse or death, else to last contact, and whether it was an event; P16's
# as after its relapse on 2021-09-15 (314 days after its infusion).
RESPONDERS_WITHOUT_CUTOFF = [
    ("P02", 301, True),
    ("P04", 837, False),
    ("P06", 140, True),
    ("P08", 700, False),
    ("P09", 587, False),
    ("P12", 426, False),
    ("P13", 368, False),
    ("P14", 341, False),
    ("P15", 274, True),
    ("P16", 314, True),
    ("P17", 262, False),
    ("P18", 253, False),
    ("P19", 243, False),
]


def test_without_the_cutoff_a_later_relapse_changes_event_free_survival(
    analytics, reader, published
):
    relapse_after_the_cutoff(reader)
    at_cutoff = analytics("survival", population="responders", times="12").json()
    everything = analytics("survival", population="responders", times="12", cutoff="none")

    (group,) = at_cutoff["groups"]
    assert (group["events"], round(100 * group["estimates"][0]["survival"])) == (3, 69)
    (group,) = everything.json()["groups"]
    # Reference: lifelines' Kaplan–Meier (log-log intervals, as the registry's) over the
    # table above, which gives 8/13 = 61.5% (26.5 to 83.7) at 12 months.
    reference = KaplanMeierFitter().fit(
        [days / MONTH_DAYS for _, days, _ in RESPONDERS_WITHOUT_CUTOFF],
        [event for _, _, event in RESPONDERS_WITHOUT_CUTOFF],
    )
    estimate = group["estimates"][0]
    assert group["events"] == 4
    assert estimate["survival"] == pytest.approx(reference.predict(12.0))
    assert estimate["survival"] == pytest.approx(8 / 13)
    assert estimate["ci95"] == pytest.approx([0.265472, 0.837166], abs=1e-6)


def test_a_patient_followed_past_the_cutoff_is_censored_at_it(analytics, followed_past_the_cutoff):
    cut = row(analytics, "L01")
    assert cut["followup_months"] == pytest.approx(months(INFUSED, CUTOFF))
    assert cut["efs_months"] == cut["os_months"] == cut["followup_months"]
    assert (cut["efs_event"], cut["os_event"]) == (False, False)

    everything = row(analytics, "L01", cutoff="none")
    assert everything["followup_months"] == pytest.approx(months(INFUSED, date(2022, 1, 31)))


def test_events_after_the_cutoff_did_not_happen_by_it(analytics, reader, followed_past_the_cutoff):
    models.FollowUpEvent.objects.create(
        patient=followed_past_the_cutoff, kind="relapse", date=date(2021, 8, 20), cd19="negative"
    )
    models.FollowUpEvent.objects.create(
        patient=followed_past_the_cutoff, kind="death", date=date(2022, 1, 31), cause="disease"
    )
    cut = row(analytics, "L01")
    assert (cut["relapse"], cut["relapse_cd19"], cut["relapse_months"]) == (False, None, None)
    assert (cut["death"], cut["death_cause"], cut["death_months"]) == (False, None, None)
    assert (cut["efs_event"], cut["os_event"]) == (False, False)
    assert cut["efs_months"] == cut["os_months"] == pytest.approx(months(INFUSED, CUTOFF))

    everything = row(analytics, "L01", cutoff="none")
    assert (everything["relapse"], everything["death"], everything["efs_event"]) == (
        True,
        True,
        True,
    )
    assert everything["efs_months"] == pytest.approx(months(INFUSED, date(2021, 8, 20)))


def test_an_event_on_the_cutoff_day_counts(analytics, followed_past_the_cutoff):
    models.FollowUpEvent.objects.create(
        patient=followed_past_the_cutoff, kind="relapse", date=CUTOFF, cd19="negative"
    )
    cut = row(analytics, "L01")
    assert (cut["relapse"], cut["efs_event"]) == (True, True)
    assert cut["efs_months"] == pytest.approx(months(INFUSED, CUTOFF))


def test_patients_infused_after_the_cutoff_are_left_out_and_counted(
    analytics, followed_past_the_cutoff
):
    later = factories.PatientFactory(subject_id="L02", last_contact_date=date(2021, 12, 1))
    factories.InfusionFactory(patient=later, date=date(2021, 9, 1))

    cut = dataset(analytics)
    assert [found["study_id"] for found in cut["results"]] == ["L01"]
    assert cut["left_out_infused_after_cutoff"] == 1
    assert analytics("follow-up").json()["left_out_infused_after_cutoff"] == 1
    everything = dataset(analytics, cutoff="none")
    assert (everything["count"], everything["left_out_infused_after_cutoff"]) == (2, 0)
    assert dataset(analytics, cutoff="2021-09-01")["count"] == 2


def test_a_day_30_response_assessed_after_the_cutoff_is_not_known_at_it(analytics, reader):
    patient = factories.PatientFactory(subject_id="L03", last_contact_date=date(2021, 10, 1))
    factories.InfusionFactory(patient=patient, date=date(2021, 7, 10))
    factories.ResponseAssessmentFactory(patient=patient, day=30)  # 2021-08-09

    assert row(analytics, "L03")["d30_response"] is None
    assert row(analytics, "L03")["responder"] is None
    assert row(analytics, "L03", cutoff="2021-08-09")["d30_response"] == "cr"
    assert analytics("response").json()["n"] == 0
    assert analytics("response", cutoff="none").json()["n"] == 1


def test_the_cutoff_and_the_as_recorded_date_work_together(analytics, reader, published):
    # "The data as recorded on <the day after its entry>, cut off at 2021-06-01": P15's
    # relapse on 2021-06-12, withdrawn after, was recorded then, but after the cut-off.
    entered = timezone.localdate() - timedelta(days=3)
    age_the_trail(entered)
    correct_the_cohort(reader)
    recorded_on = (entered + timedelta(days=1)).isoformat()

    as_recorded = dataset(analytics, as_of=recorded_on)
    assert (as_recorded["cutoff"], as_recorded["as_of"]) == ("2021-07-31", recorded_on)
    p15 = {found["study_id"]: found for found in as_recorded["results"]}["P15"]
    assert p15["relapse"] is True
    earlier = dataset(analytics, as_of=recorded_on, cutoff="2021-06-01")
    p15 = {found["study_id"]: found for found in earlier["results"]}["P15"]
    assert (earlier["cutoff"], p15["relapse"]) == ("2021-06-01", False)
    assert p15["followup_months"] == pytest.approx(months(date(2020, 9, 11), date(2021, 6, 1)))


@pytest.mark.parametrize(
    "value, message",
    [
        ("2021-13-01", "Give the clinical cut-off as a date, YYYY-MM-DD, or none"),
        ("last week", "Give the clinical cut-off as a date, YYYY-MM-DD, or none"),
        (
            "1899-12-31",
            "The clinical cut-off 1899-12-31 is before 1900; enter a date from 1900-01-01 on",
        ),
        ("3139-04-05", "The clinical cut-off 3139-04-05 is in the future; enter a date no later"),
    ],
)
def test_a_bad_cutoff_is_a_400_naming_it(analytics, published, value, message):
    for endpoint in ("dataset", "survival", "tables/outcomes"):
        response = analytics(endpoint, cutoff=value)
        assert response.status_code == 400
        assert message in response.json()["cutoff"][0]


def test_csv_downloads_say_their_dates_in_headers_and_keep_one_header_row(analytics, published):
    response = analytics("dataset", format="csv", cutoff="2021-06-01")
    assert (response["X-Data-Cutoff"], response["X-Data-As-Of"]) == ("2021-06-01", "none")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == list(DATASET_COLUMNS)
    assert len(rows) - 1 == dataset(analytics, cutoff="2021-06-01")["count"]
    assert analytics("dataset", format="csv", cutoff="none")["X-Data-Cutoff"] == "none"


def test_publication_tables_name_their_dates_in_a_footnote(analytics, followed_past_the_cutoff):
    later = factories.PatientFactory(subject_id="L02")
    factories.InfusionFactory(patient=later, date=date(2021, 9, 1))

    response = analytics("tables/outcomes", format="csv")
    last = list(csv.reader(io.StringIO(response.content.decode())))[-1]
    assert last == [
        "Clinical cut-off: 2021-07-31. Data as recorded on: as it stands. "
        "1 patient(s) first infused after the cut-off left out."
    ]
    assert response["X-Data-Cutoff"] == "2021-07-31"


def test_the_expansion_curves_stop_at_the_cutoff(reader):
    patient = factories.PatientFactory(subject_id="L04", last_contact_date=date(2021, 10, 1))
    factories.InfusionFactory(patient=patient, date=date(2021, 7, 10))
    for day in (7, 21, 28):  # 2021-07-17, 07-31 (the cut-off), 08-07
        factories.CarTCountFactory(patient=patient, day=day, cells_per_ul=10.0 * day)
    client = Client()
    client.force_login(reader)

    def counted(**params) -> list:
        page = client.get("/studies/HCD19/dashboard/", params)
        _frame, counts = page.context["plots"]["expansion"]["data"]
        return [day for day, _ in counts["L04"]]

    assert counted() == [7, 21]
    assert counted(cutoff="none") == [7, 21, 28]
