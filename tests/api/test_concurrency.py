"""Versions over HTTP: an ETag on every read, If-Match honoured on every write (412 if stale)."""

import pytest
from django.db import connection

from registry import models, services
from registry.api import serializers as api
from registry.api.audit import PreconditionFailed
from registry.api.views.patients import PatientViewSet
from tests import factories
from tests.races import patient_deleted_after, patient_deleted_first

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("roles")]


def changed_meanwhile(record, editor, **values) -> None:
    """Someone else saves the record between our read and our write."""
    record = type(record).objects.get(pk=record.pk)
    for name, value in values.items():
        setattr(record, name, value)
    services.record_save(record=record, user=editor, reason="Their correction")


def test_it_answers_each_read_with_the_record_s_version(reader_client, infusion):
    patient = infusion.patient

    assert reader_client.get(f"/api/v1/infusions/{infusion.pk}/")["ETag"] == (
        f'W/"infusion-{infusion.pk}-1"'
    )
    assert reader_client.get(f"/api/v1/patients/{patient.pk}/")["ETag"] == (
        f'W/"patient-{patient.pk}-1"'
    )
    lymphodepletion = patient.lymphodepletion
    assert reader_client.get(f"/api/v1/patients/{patient.pk}/lymphodepletion/")["ETag"] == (
        f'W/"lymphodepletion-{lymphodepletion.pk}-1"'
    )


def test_it_changes_the_version_named_in_if_match_and_answers_the_new_one(editor_client, infusion):
    url = f"/api/v1/infusions/{infusion.pk}/"
    etag = editor_client.get(url)["ETag"]

    response = editor_client.patch(url, {"weight_kg": 61.0}, format="json", HTTP_IF_MATCH=etag)

    assert response.status_code == 200, response.content
    assert response["ETag"] == f'W/"infusion-{infusion.pk}-2"'


def test_it_refuses_a_change_made_on_an_older_version(editor_client, editor, infusion):
    url = f"/api/v1/infusions/{infusion.pk}/"
    etag = editor_client.get(url)["ETag"]
    changed_meanwhile(infusion, editor, weight_kg=62.0)

    response = editor_client.patch(
        url, {"cells_per_kg": 300_000}, format="json", HTTP_IF_MATCH=etag
    )

    assert response.status_code == 412
    detail = response.json()["detail"]
    assert detail.startswith("This record was changed by editor at ")
    assert detail.endswith("your changes were not saved — reload to see the current values")
    infusion.refresh_from_db()
    assert (infusion.weight_kg, infusion.cells_per_kg) == (62.0, 240_000)


def test_it_refuses_to_delete_a_record_changed_since_it_was_read(editor_client, editor):
    count = factories.CarTCountFactory()
    url = f"/api/v1/car-t-counts/{count.pk}/"
    etag = editor_client.get(url)["ETag"]
    changed_meanwhile(count, editor, cells_per_ul=9.0)

    response = editor_client.delete(url, HTTP_IF_MATCH=etag)

    assert response.status_code == 412
    assert models.CarTCount.objects.filter(pk=count.pk).exists()


def test_it_refuses_a_stale_change_of_a_patient_or_a_one_to_one_section(
    editor_client, editor, infusion
):
    patient = infusion.patient
    patient_url = f"/api/v1/patients/{patient.pk}/"
    section_url = f"{patient_url}lymphodepletion/"
    patient_etag = editor_client.get(patient_url)["ETag"]
    section_etag = editor_client.get(section_url)["ETag"]
    changed_meanwhile(patient, editor, sex="male")
    changed_meanwhile(patient.lymphodepletion, editor, days=4)

    patient_change = editor_client.patch(
        patient_url, {"sex": "female"}, format="json", HTTP_IF_MATCH=patient_etag
    )
    section_change = editor_client.put(
        section_url, {"days": 3}, format="json", HTTP_IF_MATCH=section_etag
    )

    assert (patient_change.status_code, section_change.status_code) == (412, 412)


def test_it_changes_without_if_match_which_is_optional(editor_client, editor, infusion):
    changed_meanwhile(infusion, editor, weight_kg=62.0)

    response = editor_client.patch(
        f"/api/v1/infusions/{infusion.pk}/", {"weight_kg": 61.0}, format="json"
    )

    assert response.status_code == 200


def test_it_refuses_if_match_for_a_record_not_there(editor_client):
    patient = factories.PatientFactory()

    response = editor_client.put(
        f"/api/v1/patients/{patient.pk}/genetics/",
        {"tp53_mutation": True},
        format="json",
        HTTP_IF_MATCH='W/"genetics-1-1"',
    )

    assert response.status_code == 412
    assert not models.Genetics.objects.exists()


def test_it_refuses_as_a_conflict_a_change_whose_patient_goes_after_the_record_is_read(
    editor, infusion
):
    """Between a view's read of the record and the checks, which read its patient, another
    request deletes the patient: a 412 naming the deletion, not a server error."""
    read = models.Infusion.objects.get(pk=infusion.pk)
    patient = models.Patient.objects.get(pk=infusion.patient_id)
    services.record_delete(record=patient, user=editor, reason="Entered twice")
    serializer = api.SERIALIZERS["infusions"](read, data={"weight_kg": 61.0}, partial=True)

    with pytest.raises(PreconditionFailed) as refused:
        serializer.is_valid()

    assert str(refused.value.detail).startswith("This record was deleted by editor at ")


@pytest.mark.parametrize(("method", "body"), [("patch", {"study_id": "P77"}), ("delete", None)])
def test_it_refuses_as_a_conflict_a_write_of_a_patient_deleted_after_the_view_read_it(
    editor_client, editor, infusion, monkeypatch, method, body
):
    """Another request deletes the patient between the view's read of it and the write: a
    412 naming the deletion, not a server error."""
    patient = infusion.patient
    read = PatientViewSet.get_object

    def deleted_after_the_read(view):
        found = read(view)
        stored = models.Patient.objects.get(pk=patient.pk)
        services.record_delete(record=stored, user=editor, reason="Entered twice")
        return found

    monkeypatch.setattr(PatientViewSet, "get_object", deleted_after_the_read)
    url = f"/api/v1/patients/{patient.pk}/"

    answer = getattr(editor_client, method)(url, body, format="json")

    assert answer.status_code == 412
    assert answer.json()["detail"].startswith("This record was deleted by editor at ")
    assert not models.Patient.objects.exists()


def test_it_answers_not_found_for_a_new_record_whose_patient_went_after_the_view_read_it(
    editor_client, editor, infusion, monkeypatch
):
    """A new record takes no If-Match: its patient, deleted by another request after the
    view read it, is not found (404), the answer naming the deletion."""
    patient_deleted_first(monkeypatch, services, "record_save", infusion.patient, editor)
    url = f"/api/v1/patients/{infusion.patient_id}/car-t-counts/"

    answer = editor_client.post(url, {"day": 7, "cells_per_ul": 15}, format="json")

    assert answer.status_code == 404
    assert answer.json()["detail"].startswith("The patient was deleted by editor at ")
    assert not models.CarTCount.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite runs one writing transaction at a time: no deletion comes between",
)
def test_a_deletion_right_after_a_change_waits_for_the_change_s_answer(
    editor_client, editor, infusion, monkeypatch
):
    """Another request deletes the patient the moment a change of it is saved: the deletion
    waits for the lock the change holds until its answer is read, and the answer shows the
    change saved (it was a server error: the change saved, the client told it failed)."""
    patient = infusion.patient
    deletion = patient_deleted_after(monkeypatch, services, "record_update", patient, editor)
    url = f"/api/v1/patients/{patient.pk}/"

    answer = editor_client.patch(url, {"study_id": "P77"}, format="json")
    deletion.join()

    assert answer.status_code == 200
    assert answer.json()["study_id"] == "P77"
    assert not models.Patient.objects.exists()
