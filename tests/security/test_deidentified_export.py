"""The de-identified export: no study ids, birth dates, dates or free text; stable pseudonyms."""

import csv
import hashlib
import hmac
import io
import re

import pytest
from django.core.management import call_command
from django.db import models as django_models

from registry import models
from registry.access import membership_grant
from registry.models import Role
from registry.sections import SECTIONS
from tests import factories
from tests.api.conftest import full_course

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("roles")]

URL = "/api/v1/studies/HCD19/export/deidentified.csv"
FLAT = "/api/v1/studies/HCD19/export/patients.csv"
FREE_TEXT = "Free text that could name someone"
ISO_DATE = re.compile(r"\d{4}-?\d{2}-?\d{2}")


def rows(client, url: str = URL) -> list[dict]:
    response = client.get(url)
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


# Text fields whose values the model checks against the code tables of registry.analytes
# (analytes, their units, specimens, treatments) rather than by choices: codes, not free text.
CODED = {
    models.LabResult: {"analyte", "unit", "specimen"},
    models.CarTCount: {"specimen"},
    models.ToxicityTreatment: {"treatment"},
}


def free_text_fields(model) -> list[str]:
    """The fields of a record's document that take any text: no choices, no format."""
    fields = (model._meta.get_field(name) for name in model.document_fields)
    return [
        f.name
        for f in fields
        if isinstance(f, django_models.CharField)
        and not f.choices
        and f.name not in CODED.get(model, ())
    ]


def fill_free_text(patient: models.Patient) -> None:
    """Every free-text field of the patient and every record of the course says FREE_TEXT."""
    models.Patient.objects.filter(pk=patient.pk).update(
        **dict.fromkeys(free_text_fields(models.Patient), FREE_TEXT)
    )
    for model in (section.model for section in SECTIONS):
        model.objects.filter(patient=patient).update(
            **dict.fromkeys(free_text_fields(model), FREE_TEXT)
        )


@pytest.fixture
def patient() -> models.Patient:
    """Born 1 Mar 2000, enrolled 2 Jan 2020, infused 15 Jan 2020, relapsed 1 Jun, died 1 Sep."""
    return full_course(subject_id="P001")


def test_it_has_no_column_for_a_study_id_a_birth_or_a_date(editor_client, patient):
    (row,) = rows(editor_client)

    assert "study_id" not in row
    assert [name for name in row if "date" in name or "birth" in name] == []


def test_it_has_no_value_that_reads_as_a_date(editor_client, patient):
    factories.PatientFactory(subject_id="P002")  # never infused

    for row in rows(editor_client):
        for name, value in row.items():
            assert not ISO_DATE.search(value), (name, value)


def test_it_leaves_out_every_free_text_field(editor_client, patient):
    assert {"other", "lot", "description"} <= {
        name for section in SECTIONS for name in free_text_fields(section.model)
    }
    fill_free_text(patient)

    (row,) = rows(editor_client)

    assert FREE_TEXT in str(rows(editor_client, FLAT))  # the flat export does carry them
    assert [name for name, value in row.items() if FREE_TEXT in value] == []


def test_it_gives_dates_as_days_from_the_first_infusion(editor_client, patient):
    (row,) = rows(editor_client)

    assert row["age_years"] == "19"
    assert row["enrollment_day"] == "-13"
    assert row["lymphodepletion_start_day"] == "-5"
    assert row["relapse_day"] == "138"
    assert row["death_day"] == row["last_contact_day"] == "230"
    assert row["car_t_peak_day"] == "14"  # already counted from the infusion


def test_it_leaves_the_days_empty_without_an_infusion(editor_client):
    factories.PatientFactory(subject_id="P002")

    (row,) = rows(editor_client)

    assert row["enrollment_day"] == row["last_contact_day"] == ""
    assert row["age_years"] == "19"  # at enrolment, as in the flat export


def test_it_keeps_the_other_columns_of_the_flat_export(editor_client, patient):
    (deidentified,) = rows(editor_client)
    (flat,) = rows(editor_client, FLAT)

    shared = deidentified.keys() & flat.keys()
    assert {
        "crs_grade_computed",
        "d30_status",
        "vital_status",
        "first_infusion_cells_per_kg",
    } <= shared
    assert {name: deidentified[name] for name in shared} == {name: flat[name] for name in shared}


def test_its_pseudonyms_are_stable_distinct_and_not_the_study_ids(editor_client, patient):
    full_course(subject_id="P002", study=patient.study, site=patient.site)

    first, again = rows(editor_client), rows(editor_client)

    pseudonyms = [row["pseudonym"] for row in first]
    assert pseudonyms == [row["pseudonym"] for row in again]
    assert len(set(pseudonyms)) == 2
    assert not {"P001", "P002"} & set(pseudonyms)
    assert all(re.fullmatch(r"[0-9a-f]{16}", value) for value in pseudonyms)


def test_its_pseudonym_is_the_documented_hmac_of_study_and_study_id(
    editor_client, patient, settings
):
    """Anyone holding SECRET_KEY can recompute it; no one without it can."""
    key = hashlib.sha256(b"registry.deidentified.pseudonym" + settings.SECRET_KEY.encode())
    expected = hmac.new(key.digest(), b"HCD19/P001", hashlib.sha256).hexdigest()[:16]

    assert rows(editor_client)[0]["pseudonym"] == expected

    settings.SECRET_KEY = "another-key"
    assert rows(editor_client)[0]["pseudonym"] != expected


def test_the_same_study_id_in_another_study_has_another_pseudonym(editor, editor_client, patient):
    other = factories.PatientFactory(subject_id="P001", site__study__code="OTHER")
    membership_grant(user=editor, study=other.study, role=Role.COORDINATOR)

    (here,) = rows(editor_client)
    (there,) = rows(editor_client, f"/api/v1/studies/{other.study.code}/export/deidentified.csv")

    assert here["pseudonym"] != there["pseudonym"]


def test_it_is_a_csv_download_for_signed_in_users_only(editor_client, anonymous_client, patient):
    response = editor_client.get(URL)

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="HCD19-deidentified.csv"'
    assert anonymous_client.get(URL).status_code == 401
    assert editor_client.get("/api/v1/studies/NOPE/export/deidentified.csv").status_code == 404


def test_the_command_writes_the_same_csv(editor_client, patient, tmp_path, capsys):
    output = tmp_path / "HCD19.csv"

    call_command("export_deidentified", "HCD19", "-o", str(output))
    call_command("export_deidentified", "HCD19")

    downloaded = b"".join(editor_client.get(URL).streaming_content).decode()
    assert output.read_bytes().decode() == downloaded
    assert capsys.readouterr().out == downloaded
