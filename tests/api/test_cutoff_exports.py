"""Exports at a clinical cut-off (?cutoff=YYYY-MM-DD, --cutoff): the courses as known at
the end of that day (registry.cutoff). Without one, exports stay lossless."""

import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from registry import models
from registry.deidentified import pseudonym
from registry.interchange.exporter import cohort_document
from registry.interchange.importer import cohort_import
from tests import factories
from tests.analytics.test_cutoff import relapse_after_the_cutoff
from tests.api.conftest import EXPORTS

PUBLISHED = Path(__file__).parents[1] / "data" / "hcd19-published-cohort.json"


@pytest.fixture
def published(roles) -> dict:
    """The published cohort's document as exported, before anything was added to it."""
    study = cohort_import(data=json.loads(PUBLISHED.read_text())).study
    return cohort_document(study)


@pytest.fixture
def followed_on(published, editor) -> None:
    """After the cut-off (2021-07-31): P16 relapses, and a patient is first infused."""
    relapse_after_the_cutoff(editor)
    later = factories.PatientFactory(
        subject_id="P20",
        site=models.Site.objects.get(code="BOREN"),
        enrollment_date=date(2021, 8, 20),
        last_contact_date=date(2021, 10, 1),
    )
    factories.InfusionFactory(patient=later, date=date(2021, 9, 1))
    factories.ResponseAssessmentFactory(patient=later, day=30)


def body(response) -> bytes:
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_exports_are_lossless_without_a_cutoff(editor_client, followed_on):
    document = json.loads(body(editor_client.get(EXPORTS["cohort"])))
    patients = {patient["study_id"]: patient for patient in document["patients"]}
    assert "P20" in patients
    assert {"kind": "relapse", "date": "2021-09-15", "cd19": "negative"}.items() <= (
        patients["P16"]["events"][-1].items()
    )
    response = editor_client.get(EXPORTS["patients.csv"])
    assert (response["X-Data-Cutoff"], response["X-Data-As-Of"]) == ("none", "none")


def test_the_cohort_at_the_cutoff_is_the_published_one(editor_client, published, followed_on):
    response = editor_client.get(EXPORTS["cohort"], {"cutoff": "2021-07-31"})
    assert json.loads(body(response)) == published
    assert response["X-Data-Cutoff"] == "2021-07-31"
    assert 'filename="HCD19-cohort-cutoff-2021-07-31.json"' in response["Content-Disposition"]


def test_the_cutoff_leaves_out_assessments_of_later_days(editor_client, published, editor):
    # P19, infused 2020-11-30: day 30 is 2020-12-30, a day after a cut-off on 2020-12-29.
    document = json.loads(body(editor_client.get(EXPORTS["cohort"], {"cutoff": "2020-12-29"})))
    p19 = {patient["study_id"]: patient for patient in document["patients"]}["P19"]
    assert p19.get("response_assessments", []) == []
    assert p19["last_contact_date"] == "2020-12-29"
    assert all(count["day"] <= 29 for count in p19["car_t_counts"])
    assert "P19" in {patient["study_id"] for patient in published["patients"]}


def test_the_cutoff_leaves_out_lab_values_and_treatments_of_later_days(editor_client, published):
    # P19, infused 2020-11-30: day 29 is the cut-off 2020-12-29, day 30 the day after it.
    p19 = models.Patient.objects.get(subject_id="P19")
    for day in (29, 30):
        factories.LabResultFactory(patient=p19, day=day, analyte="anc", value=0.4 + day / 100)
        factories.ToxicityTreatmentFactory(patient=p19, day=day)
    document = json.loads(body(editor_client.get(EXPORTS["cohort"], {"cutoff": "2020-12-29"})))
    p19 = {patient["study_id"]: patient for patient in document["patients"]}["P19"]
    assert [lab["day"] for lab in p19["labs"]] == [29]
    assert [treatment["day"] for treatment in p19["toxicity_treatments"]] == [29]


@pytest.mark.parametrize("name", ["patients.csv", "deidentified.csv"])
def test_flat_exports_at_the_cutoff_leave_out_later_patients_and_events(
    editor_client, followed_on, name
):
    everything = list(csv.DictReader(io.StringIO(body(editor_client.get(EXPORTS[name])).decode())))
    response = editor_client.get(EXPORTS[name], {"cutoff": "2021-07-31"})
    cut = list(csv.DictReader(io.StringIO(body(response).decode())))
    assert (len(everything), len(cut)) == (20, 19)
    assert response["X-Data-Cutoff"] == "2021-07-31"
    (relapsed,) = [column for column in cut[0] if column in ("relapse_date", "relapse_day")]
    p16 = 15  # the 16th patient by study id
    assert everything[p16][relapsed] != "" and cut[p16][relapsed] == ""


@pytest.mark.parametrize("name", list(EXPORTS))
@pytest.mark.parametrize(
    "value, message",
    [
        ("2021-02-30", "Give the clinical cut-off as a date, YYYY-MM-DD, or none"),
        (
            "1850-01-01",
            "The clinical cut-off 1850-01-01 is before 1900; enter a date from 1900-01-01 on",
        ),
        ("3139-04-05", "The clinical cut-off 3139-04-05 is in the future; enter a date no later"),
    ],
)
def test_a_bad_cutoff_is_a_400_naming_it(editor_client, published, name, value, message):
    response = editor_client.get(EXPORTS[name], {"cutoff": value})
    assert response.status_code == 400
    assert message in str(response.json()["cutoff"])


def test_export_cohort_cuts_off_only_when_asked(published, followed_on, tmp_path):
    output = tmp_path / "cohort.json"
    call_command("export_cohort", "HCD19", "-o", str(output), "--cutoff", "2021-07-31")
    assert json.loads(output.read_text()) == published

    call_command("export_cohort", "HCD19", "-o", str(output))
    assert len(json.loads(output.read_text())["patients"]) == 20


def test_export_deidentified_takes_a_cutoff_too(followed_on, capsys):
    call_command("export_deidentified", "HCD19", "--cutoff", "2021-07-31")
    # one header line and the 19 patients infused by then
    assert len(capsys.readouterr().out.splitlines()) == 20


@pytest.mark.parametrize("value", ["2021-02-30", "1850-01-01"])
def test_a_bad_cutoff_stops_the_command(published, value):
    with pytest.raises(CommandError, match="cutoff"):
        call_command("export_cohort", "HCD19", "--cutoff", value)


@pytest.fixture
def graded_and_counted_after_the_cutoff(published) -> None:
    """P21, infused 2021-07-10 (the cut-off, 2021-07-31, is day 21): CRS grade 1 (fever) on
    day 1 and grade 3 (a vasopressor) on day 25; CAR-T 5.2/µL on day 7 and 8.0 on day 28."""
    patient = factories.PatientFactory(
        subject_id="P21",
        site=models.Site.objects.get(code="BOREN"),
        last_contact_date=date(2021, 10, 1),
    )
    factories.InfusionFactory(patient=patient, date=date(2021, 7, 10))
    factories.DailyAssessmentFactory(patient=patient, day=1, temperature_c=38.5)
    factories.DailyAssessmentFactory(patient=patient, day=25, temperature_c=39.0, vasopressors=1)
    factories.CarTCountFactory(patient=patient, day=7, cells_per_ul=5.2)
    factories.CarTCountFactory(patient=patient, day=28, cells_per_ul=8.0)


COMPUTED = ("crs_grade_computed", "car_t_peak_cells_per_ul", "car_t_peak_day")


def p21(lines: str) -> list[str]:
    ids = {"P21", pseudonym("HCD19", "P21")}
    rows = csv.DictReader(io.StringIO(lines))
    found = next(row for row in rows if ids & {row.get("study_id"), row.get("pseudonym")})
    return [found[column] for column in COMPUTED]


@pytest.mark.parametrize("name", ["patients.csv", "deidentified.csv"])
def test_flat_exports_at_the_cutoff_grade_and_count_the_days_up_to_it(
    editor_client, graded_and_counted_after_the_cutoff, name
):
    assert p21(body(editor_client.get(EXPORTS[name])).decode()) == ["3", "8.0", "28"]
    response = editor_client.get(EXPORTS[name], {"cutoff": "2021-07-31"})
    assert p21(body(response).decode()) == ["1", "5.2", "7"]


def test_export_deidentified_grades_and_counts_at_the_cutoff(
    graded_and_counted_after_the_cutoff, capsys
):
    call_command("export_deidentified", "HCD19", "--cutoff", "2021-07-31")
    assert p21(capsys.readouterr().out) == ["1", "5.2", "7"]
