"""The audit trail: who changed what, when and why, for every write of a patient's data."""

import json
from copy import deepcopy
from pathlib import Path

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.urls import reverse

from registry import models, services
from registry.history import patient_history
from registry.interchange.importer import cohort_import
from tests import factories
from tests.forms import form_fields

pytestmark = pytest.mark.django_db

PUBLISHED = Path(__file__).parent.parent / "data" / "hcd19-published-cohort.json"
REASON = "Weight re-measured on the day of infusion"


def test_it_records_who_created_a_record_and_why(clinician):
    patient = factories.PatientFactory()
    count = models.CarTCount(patient=patient, day=7, cells_per_ul=3.5)

    services.record_save(record=count, user=clinician, reason="Entered from the lab report")

    row = count.history.get()
    assert (row.history_type, row.history_user, row.history_change_reason) == (
        "+",
        clinician,
        "Entered from the lab report",
    )


def test_it_needs_no_reason_to_create_a_record(clinician):
    count = models.CarTCount(patient=factories.PatientFactory(), day=7, cells_per_ul=3.5)

    assert services.record_save(record=count, user=clinician) is True

    assert count.history.get().history_change_reason is None


def test_it_records_a_change_with_its_old_and_new_values(clinician, infusion):
    infusion.weight_kg = 61.5

    services.record_save(record=infusion, user=clinician, reason=REASON)

    latest = infusion.history.first()
    assert (latest.history_type, latest.history_user, latest.history_change_reason) == (
        "~",
        clinician,
        REASON,
    )
    change = latest.diff_against(latest.prev_record).changes
    assert [(c.field, c.old, c.new) for c in change] == [("weight_kg", 60.0, 61.5)]


def test_it_requires_a_reason_to_change_a_saved_value(clinician, infusion):
    infusion.weight_kg = 61.5

    with pytest.raises(ValidationError) as refused:
        services.record_save(record=infusion, user=clinician, reason="  ")

    assert refused.value.message_dict == {"change_reason": [services.REASON_REQUIRED]}
    infusion.refresh_from_db()
    assert infusion.weight_kg == 60.0
    assert infusion.history.count() == 1


def test_it_needs_no_reason_when_no_value_changes(clinician, infusion):
    assert services.record_save(record=infusion, user=clinician) is False

    assert infusion.history.count() == 1
    infusion.refresh_from_db()
    assert infusion.version == 1


def test_it_refuses_a_reason_longer_than_the_history_keeps(clinician, infusion):
    infusion.weight_kg = 61.5

    with pytest.raises(ValidationError) as refused:
        services.record_save(record=infusion, user=clinician, reason="x" * 101)

    assert refused.value.message_dict == {"change_reason": [services.REASON_TOO_LONG]}


def test_it_validates_the_record_before_saving_it(clinician, infusion):
    infusion.cells_per_kg = 90_000_000

    with pytest.raises(ValidationError) as refused:
        services.record_save(record=infusion, user=clinician, reason=REASON)

    assert "above the protocol's ceiling" in refused.value.message_dict["cells_per_kg"][0]
    infusion.refresh_from_db()
    assert infusion.cells_per_kg == 240_000


def test_it_requires_a_reason_to_delete(clinician):
    count = factories.CarTCountFactory()

    with pytest.raises(ValidationError) as refused:
        services.record_delete(record=count, user=clinician, reason="")

    assert refused.value.message_dict == {"change_reason": [services.REASON_REQUIRED]}
    assert models.CarTCount.objects.filter(pk=count.pk).exists()


def test_it_records_a_deletion_with_its_reason(clinician):
    count = factories.CarTCountFactory()

    services.record_delete(record=count, user=clinician, reason="Entered twice")

    row = models.CarTCount.history.filter(id=count.pk).first()
    assert (row.history_type, row.history_user, row.history_change_reason) == (
        "-",
        clinician,
        "Entered twice",
    )


def test_it_keeps_a_deleted_patient_s_history_and_gives_every_row_the_reason(clinician, infusion):
    patient = infusion.patient

    services.record_delete(record=patient, user=clinician, reason="Withdrew consent")

    assert not models.Patient.objects.filter(pk=patient.pk).exists()
    deletions = [entry for entry in patient_history(patient.pk) if entry.action == "deleted"]
    assert {entry.record for entry in deletions} == {"patient", "infusion", "lymphodepletion"}
    assert {(entry.user, entry.reason) for entry in deletions} == {
        ("clinician", "Withdrew consent")
    }


def test_it_lists_a_patient_s_history_newest_first_with_each_change(clinician, infusion):
    infusion.weight_kg = 61.5
    services.record_save(record=infusion, user=clinician, reason=REASON)
    count = models.CarTCount(patient=infusion.patient, day=7, cells_per_ul=3.5)
    services.record_save(record=count, user=clinician, reason="From the lab report")

    newest, changed, *older = patient_history(infusion.patient.pk)

    assert (newest.record, newest.action, newest.reason) == (
        "CAR-T count",
        "created",
        "From the lab report",
    )
    assert [(c.field, c.old, c.new) for c in newest.changes] == [
        ("day", None, 7),
        ("cells_per_ul", None, 3.5),
        ("specimen", None, "pb"),
    ]
    assert (changed.record, changed.record_id, changed.action, changed.user) == (
        "infusion",
        infusion.pk,
        "changed",
        "clinician",
    )
    assert [(c.label, c.old_text, c.new_text) for c in changed.changes] == [
        ("weight (kg)", "60.0", "61.5")
    ]
    assert {entry.action for entry in older} == {"created"}


def test_it_records_an_import_and_a_re_import_with_the_importing_user(clinician):
    document = json.loads(PUBLISHED.read_text())
    cohort_import(data=document, user=clinician)
    patient = models.Patient.objects.get(subject_id="P16")
    created = {entry.record for entry in patient_history(patient.pk)}
    again = deepcopy(document)
    next(p for p in again["patients"] if p["study_id"] == "P16")["sex"] = "female"

    cohort_import(data=again, user=clinician)

    entries = patient_history(patient.pk)
    assert {(e.user, e.reason) for e in entries} == {("clinician", services.IMPORT_REASON)}
    assert {"patient", "infusion", "daily assessment"} <= created
    changed = next(e for e in entries if e.record == "patient" and e.action == "changed")
    assert [(c.field, c.old, c.new) for c in changed.changes] == [("sex", "male", "female")]
    # Only the patient changed: its records stand as they were, with no history row more.
    assert not [e for e in entries if e.action == "deleted"]
    assert {e.record for e in entries if e.action == "changed"} == {"patient"}
    assert models.Patient.history.filter(id=patient.pk).count() == 2


# The admin


@pytest.fixture
def signed_in(client, admin_user):
    client.force_login(admin_user)
    return client


def test_it_does_not_offer_the_history_for_editing_in_the_admin():
    historical = [
        model for model in admin.site._registry if model.__name__.startswith("Historical")
    ]

    assert historical == []


def test_it_asks_the_admin_for_a_reason_to_change_a_record(signed_in, infusion):
    url = reverse("admin:registry_infusion_change", args=[infusion.pk])
    data = form_fields(signed_in.get(url).content.decode()) | {"weight_kg": "61.5"}

    refused = signed_in.post(url, data | {"change_reason": ""})
    saved = signed_in.post(url, data | {"change_reason": REASON})

    assert refused.context["adminform"].form.errors["change_reason"] == [services.REASON_REQUIRED]
    assert saved.status_code == 302
    latest = infusion.history.first()
    assert (latest.history_change_reason, latest.history_user.username) == (REASON, "admin")


def test_it_saves_the_admin_s_patient_page_with_its_inlines_and_the_reason(signed_in, infusion):
    patient = infusion.patient
    url = reverse("admin:registry_patient_change", args=[patient.pk])
    data = form_fields(signed_in.get(url).content.decode())
    data |= {"infusions-0-weight_kg": "61.5", "lymphodepletion-0-DELETE": "on"}

    refused = signed_in.post(url, data | {"change_reason": ""})
    saved = signed_in.post(url, data | {"change_reason": REASON})

    assert refused.status_code == 200
    assert saved.status_code == 302, saved.context and saved.context["errors"]
    infusion.refresh_from_db()
    assert (infusion.weight_kg, infusion.version) == (61.5, 2)
    assert not models.Lymphodepletion.objects.filter(patient=patient).exists()
    entries = patient_history(patient.pk)[:2]
    assert {(e.record, e.action, e.reason) for e in entries} == {
        ("infusion", "changed", REASON),
        ("lymphodepletion", "deleted", REASON),
    }


def test_it_asks_the_admin_for_a_reason_to_delete(signed_in):
    count = factories.CarTCountFactory()
    url = reverse("admin:registry_cartcount_delete", args=[count.pk])

    assert 'name="change_reason"' in signed_in.get(url).content.decode()
    refused = signed_in.post(url, {"post": "yes"}, follow=True)
    deleted = signed_in.post(url, {"post": "yes", "change_reason": "Entered twice"})

    assert f"Not deleted: {services.REASON_REQUIRED}" in refused.content.decode()
    assert deleted.status_code == 302
    assert models.CarTCount.history.filter(id=count.pk).first().history_change_reason == (
        "Entered twice"
    )


def test_it_shows_a_record_s_history_in_the_admin_and_never_reverts_it(signed_in, infusion):
    infusion.weight_kg = 61.5
    services.record_save(record=infusion, user=None, reason=REASON)
    first = infusion.history.last()

    page = signed_in.get(reverse("admin:registry_infusion_history", args=[infusion.pk]))
    revert = reverse("admin:registry_infusion_simple_history", args=[infusion.pk, first.history_id])

    assert REASON in page.content.decode()
    assert signed_in.post(revert, {"weight_kg": "60"}).status_code == 403
    infusion.refresh_from_db()
    assert infusion.weight_kg == 61.5
