"""GET .../export/adam/{dataset}.{format} and .../export/adam/define.xml: who may, the
dates they take (cutoff, as_of) and how a bad one is refused."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from registry import models, services
from tests.clients import api_client_of
from tests.trail import age_the_trail

ADSL = "/api/v1/studies/HCD19/export/adam/ADSL.csv"
EVERY_FILE = [
    *(
        f"/api/v1/studies/HCD19/export/adam/{name}.{ext}"
        for name in ("ADSL", "ADTTE", "ADAE")
        for ext in ("xpt", "json", "csv")
    ),
    "/api/v1/studies/HCD19/export/adam/define.xml",
]


def rows(response) -> dict[str, dict]:
    assert response.status_code == 200, response.content
    text = b"".join(response.streaming_content).decode()
    return {row["SUBJID"]: row for row in csv.DictReader(io.StringIO(text))}


@pytest.mark.parametrize("address", EVERY_FILE)
def test_a_coordinator_downloads_every_file_as_an_attachment(exporter, address):
    response = exporter.get(address)
    assert response.status_code == 200
    name = address.rsplit("/", 1)[1].lower()
    assert response["Content-Disposition"] == f'attachment; filename="HCD19-{name}"'
    assert response["X-Data-Cutoff"] == "2021-07-31"  # the study's, by default
    assert response["X-Data-As-Of"] == "none"


@pytest.mark.parametrize("address", EVERY_FILE)
def test_only_the_studys_coordinators_and_administrators_export(
    published, teammate, neighbour, outsider, address
):
    assert api_client_of(teammate).get(address).status_code == 403  # monitor
    assert api_client_of(neighbour).get(address).status_code == 403  # clinician at one site
    assert api_client_of(outsider).get(address).status_code == 404  # coordinates another study
    assert APIClient().get(address).status_code == 401


def test_an_administrator_exports_too(published, admin_user):
    assert len(rows(api_client_of(admin_user).get(ADSL))) == 19


def test_another_studys_coordinator_finds_their_own_study_not_this_one(published, outsider):
    client = api_client_of(outsider)
    assert client.get("/api/v1/studies/OTHER/export/adam/ADSL.csv").status_code == 200
    assert client.get(ADSL).status_code == 404


def test_an_unknown_dataset_or_format_is_not_there(exporter):
    assert exporter.get("/api/v1/studies/HCD19/export/adam/ADLB.csv").status_code == 404
    assert exporter.get("/api/v1/studies/HCD19/export/adam/ADSL.sas7bdat").status_code == 404


def test_the_cutoff_leaves_out_what_came_after_it(exporter):
    whole = rows(exporter.get(ADSL, {"cutoff": "none"}))
    cut = rows(exporter.get(ADSL, {"cutoff": "2020-06-30"}))
    assert len(whole) == 19
    assert len(cut) == 12  # first infused by then
    # P02 died on 2020-02-09, before the cut-off; P03 on 2020-04-25, also before it.
    assert cut["P02"]["DTHFL"] == "Y"
    assert all(row["LSTALVDT"] <= "2020-06-30" for row in cut.values())
    assert any(row["LSTALVDT"] > "2020-06-30" for row in whole.values())


def test_as_of_gives_the_data_as_recorded_then(exporter, owner, published):
    age_the_trail(timezone.localdate() - timedelta(days=3))
    patient = models.Patient.objects.get(study=published, subject_id="P02")
    patient.sex = "female"
    services.record_save(record=patient, user=owner, reason="Corrected from the source document")
    day = (timezone.localdate() - timedelta(days=2)).isoformat()
    assert rows(exporter.get(ADSL))["P02"]["SEX"] == "F"
    then = exporter.get(ADSL, {"as_of": day})
    assert then["X-Data-As-Of"] == day
    assert rows(then)["P02"]["SEX"] == "M"


def test_a_locked_study_still_exports_as_it_stands(exporter, published):
    before = rows(exporter.get(ADSL))
    services.study_lock(study=published)
    assert rows(exporter.get(ADSL)) == before


@pytest.mark.parametrize(
    ("query", "name", "words"),
    [
        ({"cutoff": "31/07/2021"}, "cutoff", "YYYY-MM-DD"),
        ({"as_of": "2999-01-01"}, "as_of", "cannot be after today"),
        ({"population": "all"}, "population", "Unknown parameter. Allowed: as_of, cutoff"),
        ({"cutoff": ["2021-01-01", "2021-02-01"]}, "cutoff", "Give this parameter once."),
    ],
)
@pytest.mark.parametrize("address", [ADSL, "/api/v1/studies/HCD19/export/adam/define.xml"])
def test_a_bad_parameter_is_a_400_naming_it(exporter, query, name, words, address):
    response = exporter.get(address, query)
    assert response.status_code == 400
    assert words in " ".join(response.json()[name])


def test_the_treatment_is_the_first_infusions_product(exporter, owner, published):
    infusion = models.Infusion.objects.get(patient__subject_id="P02")
    infusion.product = "murine_cd19"
    services.record_save(record=infusion, user=owner, reason="Corrected from the source document")
    found = rows(exporter.get(ADSL))
    assert found["P02"]["TRT01A"] == "MURINE CD19 CAR-T"
    assert found["P03"]["TRT01A"] == "HUMANIZED CD19 CAR-T"


def test_adae_dates_crs_by_its_recorded_onset_and_icans_by_the_daily_assessments(exporter):
    response = exporter.get("/api/v1/studies/HCD19/export/adam/ADAE.csv")
    text = b"".join(response.streaming_content).decode()
    found = {
        (row["USUBJID"].removeprefix("HCD19-"), row["AETERM"]): row
        for row in csv.DictReader(io.StringIO(text))
    }
    crs = models.ToxicityRecord.objects.get(patient__subject_id="P02").crs_onset_day
    assert found["P02", "CRS"]["ASTDY"] == str(crs + 1)
    first_graded = min(
        assessment.day
        for assessment in models.DailyAssessment.objects.filter(patient__subject_id="P08")
        if assessment.icans_grade(9).grade >= 1
    )
    assert found["P08", "ICANS"]["ASTDY"] == str(first_graded + 1)
    infused = models.Infusion.objects.get(patient__subject_id="P08").date
    assert found["P08", "ICANS"]["ASTDT"] == (infused + timedelta(days=first_graded)).isoformat()


def test_adae_dates_crs_without_a_recorded_onset_by_the_daily_assessments(exporter, owner):
    record = models.ToxicityRecord.objects.get(patient__subject_id="P08")
    assert record.crs_max_grade >= 1
    record.crs_onset_day = None
    services.record_save(record=record, user=owner, reason="Onset not in the source document")
    response = exporter.get("/api/v1/studies/HCD19/export/adam/ADAE.csv")
    text = b"".join(response.streaming_content).decode()
    found = {
        (row["USUBJID"].removeprefix("HCD19-"), row["AETERM"]): row
        for row in csv.DictReader(io.StringIO(text))
    }
    first_graded = min(
        assessment.day
        for assessment in models.DailyAssessment.objects.filter(patient__subject_id="P08")
        if assessment.crs_grade().grade >= 1
    )
    assert found["P08", "CRS"]["ASTDY"] == str(first_graded + 1)
    infused = models.Infusion.objects.get(patient__subject_id="P08").date
    assert found["P08", "CRS"]["ASTDT"] == (infused + timedelta(days=first_graded)).isoformat()


def test_adsl_groups_each_patient_by_age_as_the_analysis_does(exporter):
    found = rows(exporter.get(ADSL))
    groups = {row["AGEGR1"] for row in found.values()}
    assert groups == {"<18", ">=18"}  # the published cohort has children and adults
    for row in found.values():
        assert row["AGEGR1"] == ("<18" if float(row["AGE"]) < 18 else ">=18"), row["SUBJID"]
