"""Writing the sections of a course: the model layer's validation, as 400s naming the field."""

from datetime import date

import pytest
from django.contrib.auth.models import Permission, User

from registry import models
from registry.access import membership_grant
from registry.models import Role
from tests import factories
from tests.api.conftest import full_course

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("roles")]

# URL name → (a valid new record for the full course, a valid change to it)
LIST_SECTIONS = {
    "prior-therapies": ({"kind": "chemotherapy", "date": "2019-12-01"}, {"date": "2019-12-02"}),
    "infusions": (
        {"date": "2020-02-01", "weight_kg": 58.5, "cells_per_kg": 300_000},
        {"lot": "L-2"},
    ),
    "car-t-counts": ({"day": 21, "cells_per_ul": 12.5}, {"cells_per_ul": 0}),
    "labs": ({"day": 3, "analyte": "il6", "value": 120, "unit": "pg/mL"}, {"value": 80}),
    "toxicity-treatments": ({"day": 2, "treatment": "tocilizumab"}, {"dose_mg": 400}),
    "daily-assessments": (
        {"day": 2, "temperature_c": 39.1, "oxygen": "low_flow"},
        {"ice_score": 8},
    ),
    "response-assessments": (
        {"day": 90, "status": "cr", "bm_blast_pct": 1.0, "mrd": "positive", "mrd_level": 0.002},
        {"mrd_method": "flow"},
    ),
    "events": (
        {"kind": "b_cell_recovery", "date": "2020-05-01"},
        {"date": "2020-05-02"},
    ),
}
ONE_TO_ONE_SECTIONS = {
    "eligibility": {"cd19_blast_pct": 97.5, "ecog": 2, "extramedullary_sites": []},
    "genetics": {"tp53_mutation": True, "other": "IKZF1 deletion"},
    "lymphodepletion": {
        "start_date": "2020-01-10",
        "fludarabine_mg_m2_per_day": 25,
        "cyclophosphamide_mg_m2_per_day": 0,
        "days": 3,
    },
    "toxicities": {"crs_max_grade": 1, "icans_max_grade": 0, "corticosteroids": False},
}


def section_url(patient: models.Patient, section: str) -> str:
    return f"/api/v1/patients/{patient.pk}/{section}/"


@pytest.mark.parametrize("section", list(LIST_SECTIONS))
def test_it_adds_changes_and_deletes_a_record_of_a_list_section(editor_client, section):
    patient = full_course()
    new, change = LIST_SECTIONS[section]
    created = editor_client.post(section_url(patient, section), new, format="json")
    assert created.status_code == 201, created.content
    record = created.json()
    assert record["patient"] == patient.pk
    assert {key: record[key] for key in new} == new

    listed = editor_client.get(section_url(patient, section)).json()
    assert record["id"] in [item["id"] for item in listed["results"]]

    changed = editor_client.patch(f"/api/v1/{section}/{record['id']}/", change, format="json")
    assert changed.status_code == 200, changed.content
    assert {key: changed.json()[key] for key in change} == change

    assert editor_client.delete(f"/api/v1/{section}/{record['id']}/").status_code == 204
    assert editor_client.get(f"/api/v1/{section}/{record['id']}/").status_code == 404


@pytest.mark.parametrize("section", list(ONE_TO_ONE_SECTIONS))
def test_it_creates_replaces_and_deletes_a_one_to_one_section(editor_client, section):
    patient = factories.PatientFactory()
    factories.InfusionFactory(patient=patient)
    url = section_url(patient, section)
    values = ONE_TO_ONE_SECTIONS[section]
    assert editor_client.get(url).status_code == 404
    assert editor_client.patch(url, values, format="json").status_code == 404

    created = editor_client.put(url, values, format="json")
    assert created.status_code == 201, created.content
    assert editor_client.put(url, values, format="json").status_code == 200
    assert editor_client.get(url).json()["id"] == created.json()["id"]

    assert editor_client.delete(url).status_code == 204
    assert editor_client.get(url).status_code == 404


def test_it_changes_one_field_of_a_one_to_one_section(editor_client):
    patient = full_course()
    url = section_url(patient, "eligibility")
    response = editor_client.patch(url, {"ecog": 0}, format="json")
    assert response.status_code == 200
    assert response.json()["ecog"] == 0
    assert response.json()["extramedullary_sites"] == ["cns", "skin"]


def infusion_errors(client, patient, /, **fields) -> dict:
    infusion = {"date": "2020-02-01", "weight_kg": 60.0, "cells_per_kg": 240_000} | fields
    before = models.Infusion.objects.count()
    response = client.post(section_url(patient, "infusions"), infusion, format="json")
    assert response.status_code == 400, response.content
    assert models.Infusion.objects.count() == before
    return response.json()


@pytest.mark.parametrize(
    ("fields", "field", "says"),
    [
        ({"cells_per_kg": -5}, "cells_per_kg", "Dose cannot be negative"),
        ({"cells_per_kg": "240000"}, "cells_per_kg", "valid integer"),
        ({"cells_per_kg": 2.5e5 + 0.5}, "cells_per_kg", "valid integer"),
        ({"weight_kg": "60"}, "weight_kg", "valid number"),
        ({"weight_kg": True}, "weight_kg", "valid number"),
        ({"weight_kg": 0.1}, "weight_kg", "Weight in kg must be between 0.5 and 300"),
        ({"date": "2020-02-30"}, "date", "wrong format"),
        ({"date": None}, "date", "null"),
        ({"product": "car_nk"}, "product", "not a valid choice"),
        ({"lot": 17}, "lot", "Must be text"),
        ({"dose": 240_000}, "dose", "Unknown field 'dose'"),
        ({"patient": 99}, "patient", "read-only"),
        ({"date": "2020-01-09"}, "date", "after the last day of lymphodepletion"),
        ({"date": "2020-01-12"}, "date", "after the last day of lymphodepletion (2020-01-12"),
        ({"cells_per_kg": 600_000}, "cells_per_kg", "above the protocol's ceiling"),
    ],
)
def test_it_refuses_a_bad_infusion_naming_the_field(editor_client, fields, field, says):
    errors = infusion_errors(editor_client, full_course(), **fields)
    assert field in errors
    assert says in " ".join(errors[field])


def test_it_refuses_a_field_it_does_not_know_among_good_ones(editor_client):
    errors = infusion_errors(editor_client, full_course(), dose=1, cells_per_ul=2)
    assert set(errors) == {"dose", "cells_per_ul"}


@pytest.mark.parametrize(
    ("section", "fields", "field"),
    [
        ("events", {"kind": "relapse", "date": "2020-07-01"}, "cd19"),
        ("events", {"kind": "allo_hct", "date": "2020-10-01"}, "date"),
        ("events", {"kind": "death", "date": "2020-08-01", "cause": "crs"}, "kind"),
        ("events", {"kind": "party", "date": "2020-07-01"}, "kind"),
        ("daily-assessments", {"day": 3, "fever_masked": "yes"}, "fever_masked"),
        ("daily-assessments", {"day": 3, "vasopressors": 1.5}, "vasopressors"),
        ("daily-assessments", {"day": 1}, "day"),
        ("daily-assessments", {"day": 3, "capd_unable": True, "capd_score": 4}, "capd_score"),
        ("response-assessments", {"day": 60, "status": "cr", "bm_blast_pct": 12}, "bm_blast_pct"),
        ("response-assessments", {"day": 400, "status": "nr"}, "day"),
        ("car-t-counts", {"day": 30, "cells_per_ul": -1}, "cells_per_ul"),
        ("prior-therapies", {"kind": "tki", "date": "2020-02-01"}, "date"),
        ("prior-therapies", {"kind": "tki", "best_response": "cr"}, "best_response"),
    ],
)
def test_it_refuses_a_bad_record_naming_the_field_and_writes_nothing(
    editor_client, section, fields, field
):
    patient = full_course()
    before = [getattr(patient, name).count() for name in ("events", "daily_assessments")]
    response = editor_client.post(section_url(patient, section), fields, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert [getattr(patient, name).count() for name in ("events", "daily_assessments")] == before


@pytest.mark.parametrize(
    ("section", "fields", "field"),
    [
        ("eligibility", {"ecog": 7}, "ecog"),
        ("eligibility", {"extramedullary_sites": ["brain"]}, "extramedullary_sites"),
        ("eligibility", {"extramedullary_sites": "cns"}, "extramedullary_sites"),
        ("eligibility", {"cd19_blast_pct": 101}, "cd19_blast_pct"),
        ("toxicities", {"crs_max_grade": 0}, "crs_onset_day"),
        ("toxicities", {"icans_max_grade": 6}, "icans_max_grade"),
        ("lymphodepletion", {"start_date": "2020-01-20"}, "non_field_errors"),
        ("lymphodepletion", {"days": 0}, "days"),
        ("genetics", {"bcr_abl1": "no"}, "bcr_abl1"),
    ],
)
def test_it_refuses_a_bad_one_to_one_change_and_keeps_the_record(
    editor_client, section, fields, field
):
    patient = full_course()
    url = section_url(patient, section)
    before = editor_client.get(url).json()
    response = editor_client.patch(url, fields, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert editor_client.get(url).json() == before


def test_it_explains_a_day_entered_twice(editor_client):
    patient = full_course()
    response = editor_client.post(
        section_url(patient, "response-assessments"),
        {"day": 28, "status": "cr", "bm_blast_pct": 1},
        format="json",
    )
    assert response.status_code == 400
    assert "Day 28 is entered twice" in response.json()["day"]


def test_it_refuses_a_change_that_breaks_the_course(editor_client):
    patient = full_course()
    response_assessment = patient.response_assessments.get()
    response = editor_client.patch(
        f"/api/v1/response-assessments/{response_assessment.pk}/",
        {"status": "nr", "bm_blast_pct": 60},
        format="json",
    )
    assert response.status_code == 400
    assert "non_field_errors" in response.json()
    response_assessment.refresh_from_db()
    assert response_assessment.status == "cr"


@pytest.mark.parametrize(
    "body", ['{"day": 7,', "[1, 2]", '"day"', '{"day": NaN, "cells_per_ul": 1}']
)
def test_it_refuses_a_body_that_is_not_a_json_object(editor_client, body):
    patient = full_course()
    response = editor_client.post(
        section_url(patient, "car-t-counts"), body, content_type="application/json"
    )
    assert response.status_code == 400
    assert patient.car_t_counts.count() == 2


def test_it_refuses_form_encoded_writes(editor_client):
    patient = full_course()
    response = editor_client.post(
        section_url(patient, "car-t-counts"), {"day": 30, "cells_per_ul": 1}
    )
    assert response.status_code == 415


def test_it_answers_404_for_a_patient_that_does_not_exist(editor_client):
    url = "/api/v1/patients/999/infusions/"
    assert editor_client.get(url).status_code == 404
    body = {"date": "2020-02-01", "weight_kg": 60, "cells_per_kg": 1}
    assert editor_client.post(url, body, format="json").status_code == 404
    assert editor_client.put("/api/v1/patients/999/genetics/", {}, format="json").status_code == 404


def test_it_lists_only_the_patients_own_records(reader_client):
    patient = full_course()
    factories.CarTCountFactory(day=3)
    body = reader_client.get(section_url(patient, "car-t-counts")).json()
    assert [count["day"] for count in body["results"]] == [7, 14]


def test_it_lets_a_reader_read_but_not_write_a_section(reader_client):
    patient = full_course()
    infusion = patient.infusions.get()
    assert reader_client.get(f"/api/v1/infusions/{infusion.pk}/").status_code == 200
    new = {"date": "2020-02-01", "weight_kg": 60, "cells_per_kg": 1}
    url = section_url(patient, "infusions")
    assert reader_client.post(url, new, format="json").status_code == 403
    assert reader_client.patch(f"/api/v1/infusions/{infusion.pk}/", {"lot": "X"}).status_code == 403
    assert reader_client.delete(f"/api/v1/infusions/{infusion.pk}/").status_code == 403
    assert reader_client.put(section_url(patient, "genetics"), {}).status_code == 403
    assert patient.infusions.count() == 1


def test_it_needs_the_add_permission_to_create_a_one_to_one_section_with_put(reader, reader_client):
    patient = factories.PatientFactory()
    membership_grant(user=reader, study=patient.study, role=Role.COORDINATOR)
    reader.user_permissions.add(Permission.objects.get(codename="change_genetics"))
    url = section_url(patient, "genetics")
    assert reader_client.put(url, {"ph_like": True}, format="json").status_code == 403
    reader.user_permissions.add(Permission.objects.get(codename="add_genetics"))
    reader_client.force_authenticate(User.objects.get(pk=reader.pk))  # permissions afresh
    assert reader_client.put(url, {"ph_like": True}, format="json").status_code == 201


def test_it_needs_the_delete_permission_to_delete(reader, reader_client):
    event = factories.FollowUpEventFactory(date=date(2020, 3, 1))
    membership_grant(user=reader, study=event.patient.study, role=Role.COORDINATOR)
    reader.user_permissions.add(Permission.objects.get(codename="change_followupevent"))
    assert reader_client.delete(f"/api/v1/events/{event.pk}/").status_code == 403
    assert reader_client.patch(f"/api/v1/events/{event.pk}/", {}, format="json").status_code == 200


def test_it_refuses_to_delete_the_response_a_relapse_stands_on(editor_client):
    patient = full_course()
    response = patient.response_assessments.get()

    answer = editor_client.delete(f"/api/v1/response-assessments/{response.pk}/")

    assert answer.status_code == 400
    assert answer.json()["non_field_errors"] == [
        "A relapse needs an earlier response assessment of CR or CRi"
    ]
    assert patient.response_assessments.exists()


def test_it_leads_with_the_fields_own_error_and_counts_what_follows_from_it(editor_client):
    patient = full_course()
    patient.events.get(kind="death").delete()
    death = {"kind": "death", "date": "2020-01-14", "cause": "disease"}

    response = editor_client.post(section_url(patient, "events"), death, format="json")

    assert response.status_code == 400, response.content
    after = "would fall after the death (day -1, 2020-01-14)"
    assert response.json() == {
        "date": [
            "death is before the infusion (2020-01-15)",
            "1 follow-up event would fall after the death (2020-01-14)",
            f"2 CAR-T counts {after}",
            f"1 toxicity treatment {after}",
            f"1 daily assessment {after}",
            f"1 response assessment {after}",
        ]
    }


def test_it_moves_last_contact_with_the_date_of_death(editor_client):
    patient = full_course()
    death = patient.events.get(kind="death")

    response = editor_client.patch(
        f"/api/v1/events/{death.pk}/", {"date": "2020-08-15"}, format="json"
    )

    assert response.status_code == 200, response.content
    shown = editor_client.get(f"/api/v1/patients/{patient.pk}/").json()
    assert shown["last_contact_date"] == "2020-08-15"
