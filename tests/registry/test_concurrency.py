"""Two people editing one record: the second save is refused, and says who came first."""

import re
import threading

import pytest
from django.contrib.auth.models import User
from django.contrib.messages import get_messages
from django.db import connection, connections
from django.urls import reverse

from registry import models, services
from registry.admin.sections import SectionAdmin
from registry.choices import DateFormat
from tests import factories
from tests.forms import form_fields

pytestmark = pytest.mark.django_db

REASON = "Weight re-measured"


@pytest.fixture
def users(db) -> tuple[User, User]:
    return User.objects.create_user("ana"), User.objects.create_user("ben")


def opened(record):
    """The record as a form opened it: its own copy, at the version stored then."""
    return type(record).objects.get(pk=record.pk)


def test_it_raises_the_version_with_every_saved_change(users, infusion):
    ana, _ = users
    for weight in (61.0, 62.0):
        infusion.weight_kg = weight
        services.record_save(record=infusion, user=ana, reason=REASON, version=infusion.version)

    infusion.refresh_from_db()
    assert infusion.version == 3


def test_it_refuses_a_change_made_on_an_older_version_and_names_who_changed_it(users, infusion):
    ana, ben = users
    ana_form, ben_form = opened(infusion), opened(infusion)
    ana_form.weight_kg = 61.0
    services.record_save(record=ana_form, user=ana, reason=REASON, version=1)
    ben_form.cells_per_kg = 300_000

    with pytest.raises(services.EditConflict) as refused:
        services.record_save(record=ben_form, user=ben, reason="Dose corrected", version=1)

    assert refused.value.messages[0].startswith("This record was changed by ana at ")
    assert refused.value.messages[0].endswith(
        "while you were editing it; your changes were not saved — reload to see the current values"
    )
    infusion.refresh_from_db()
    assert (infusion.weight_kg, infusion.cells_per_kg, infusion.version) == (61.0, 240_000, 2)


def test_it_refuses_to_delete_a_record_changed_since_it_was_opened(users, infusion):
    ana, ben = users
    changed = opened(infusion)
    changed.weight_kg = 61.0
    services.record_save(record=changed, user=ana, reason=REASON)

    with pytest.raises(services.EditConflict):
        services.record_delete(record=opened(infusion), user=ben, reason="Wrong", version=1)

    assert models.Infusion.objects.filter(pk=infusion.pk).exists()


def test_it_says_when_the_record_was_deleted_meanwhile(users, infusion):
    ana, ben = users
    ben_form = opened(infusion)
    services.record_delete(record=opened(infusion), user=ana, reason="Entered twice")
    ben_form.weight_kg = 61.0

    with pytest.raises(services.EditConflict) as refused:
        services.record_save(record=ben_form, user=ben, reason=REASON, version=1)

    assert refused.value.messages[0].startswith("This record was deleted by ana at ")


def test_it_says_when_the_patient_of_a_new_record_was_deleted_meanwhile(users, infusion):
    ana, ben = users
    count = factories.CarTCountFactory.build(patient=infusion.patient)
    services.record_delete(record=opened(infusion.patient), user=ana, reason="Entered twice")

    with pytest.raises(services.EditConflict) as refused:
        services.record_save(record=count, user=ben)

    assert refused.value.messages[0].startswith("The patient was deleted by ana at ")
    assert not models.CarTCount.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite runs one writing transaction at a time: there is no race to lose",
)
def test_it_compares_and_raises_the_version_atomically(users, infusion, monkeypatch):
    """Two saves on version 1 at the same moment: exactly one wins, the other is refused."""
    ana, ben = users
    validating = threading.Barrier(2, timeout=10)
    full_clean = models.Infusion.full_clean

    def slow_full_clean(record, *args, **kwargs):
        # Both saves have read the version before either writes, unless the first locks it.
        try:
            validating.wait(timeout=2)
        except threading.BrokenBarrierError:
            pass
        return full_clean(record, *args, **kwargs)

    monkeypatch.setattr(models.Infusion, "full_clean", slow_full_clean)
    outcomes = []

    def save(user, weight):
        record = opened(infusion)
        record.weight_kg = weight
        try:
            services.record_save(record=record, user=user, reason=REASON, version=1)
            outcomes.append("saved")
        except services.EditConflict:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=save, args=args) for args in ((ana, 61.0), (ben, 62.0))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["refused", "saved"]
    infusion.refresh_from_db()
    assert infusion.version == 2


# The admin: its forms carry the version they were opened on.


def test_it_refuses_an_admin_save_over_a_newer_version(admin_client, users, infusion):
    ana, _ = users
    url = reverse("admin:registry_infusion_change", args=[infusion.pk])
    data = form_fields(admin_client.get(url).content.decode())
    changed = opened(infusion)
    changed.weight_kg = 61.0
    services.record_save(record=changed, user=ana, reason=REASON)

    response = admin_client.post(url, data | {"cells_per_kg": "300000", "change_reason": "Dose"})

    assert response.status_code == 200
    errors = response.context["adminform"].form.non_field_errors()
    assert errors[0].startswith("This record was changed by ana at ")
    infusion.refresh_from_db()
    assert (infusion.weight_kg, infusion.cells_per_kg) == (61.0, 240_000)


def written_day_first(patient) -> None:
    """The patient's study writes its dates day first: so do the admin's messages."""
    models.Study.objects.filter(pk=patient.study_id).update(date_format=DateFormat.DAY_MONTH_YEAR)


A_MOMENT_DAY_FIRST = r" at \d{2}/\d{2}/\d{4} \d{2}:\d{2}"


def read_before_the_post(monkeypatch, record) -> None:
    """The admin reads `record` as it is now, whatever happens before the page is posted:
    another user's change lands after the page read the record, outside its transaction."""
    read = opened(record)
    monkeypatch.setattr(SectionAdmin, "get_object", lambda *args, **kwargs: read)


def test_it_refuses_an_admin_save_that_another_change_overtook_after_the_checks(
    admin_client, users, infusion, monkeypatch
):
    """Ana's change lands after the page read the infusion: the page's checks passed on what
    it read, its save finds the newer version. The page says so and saves nothing."""
    ana, _ = users
    url = reverse("admin:registry_infusion_change", args=[infusion.pk])
    data = form_fields(admin_client.get(url).content.decode())
    read_before_the_post(monkeypatch, infusion)
    changed = opened(infusion)
    changed.weight_kg = 61.0
    services.record_save(record=changed, user=ana, reason=REASON)

    response = admin_client.post(url, data | {"cells_per_kg": "300000", "change_reason": "Dose"})

    assert response.status_code == 302
    assert response.url == url
    [message] = [str(each) for each in get_messages(response.wsgi_request)]
    assert message.startswith("Not saved: This record was changed by ana at ")
    infusion.refresh_from_db()
    assert (infusion.weight_kg, infusion.cells_per_kg) == (61.0, 240_000)


def test_it_says_when_the_patient_went_after_the_admin_read_the_record(
    admin_client, users, infusion, monkeypatch
):
    """Ana deletes the patient after the page read the infusion; the page's checks read the
    patient: the page says the infusion went with it, not a server error."""
    ana, _ = users
    written_day_first(infusion.patient)
    url = reverse("admin:registry_infusion_change", args=[infusion.pk])
    data = form_fields(admin_client.get(url).content.decode())
    read_before_the_post(monkeypatch, infusion)
    services.record_delete(record=opened(infusion.patient), user=ana, reason="Entered twice")

    response = admin_client.post(url, data | {"cells_per_kg": "300000", "change_reason": "Dose"})

    assert response.status_code == 302
    assert response.url == reverse("admin:registry_infusion_changelist")
    [message] = [str(each) for each in get_messages(response.wsgi_request)]
    assert re.match("Not saved: This record was deleted by ana" + A_MOMENT_DAY_FIRST, message)


def test_it_says_when_the_patient_of_a_record_added_in_the_admin_went_before_the_save(
    admin_client, users, infusion, monkeypatch
):
    """Ana deletes the patient between the add page's checks, which found it, and its save.
    (Her deletion is made in the page's transaction here, and goes back with it: what is
    shown is the page's answer.)"""
    ana, _ = users
    written_day_first(infusion.patient)
    record_save = services.record_save

    def patient_deleted_first(**save):
        patient = opened(infusion.patient)
        services.record_delete(record=patient, user=ana, reason="Entered twice")
        return record_save(**save)

    monkeypatch.setattr(services, "record_save", patient_deleted_first)
    url = reverse("admin:registry_cartcount_add")
    data = {"patient": infusion.patient_id, "day": "7", "cells_per_ul": "15"}

    response = admin_client.post(url, data)

    assert response.status_code == 302
    assert response.url == url
    [message] = [str(each) for each in get_messages(response.wsgi_request)]
    assert re.match("Not saved: The patient was deleted by ana" + A_MOMENT_DAY_FIRST, message)
    assert not models.CarTCount.objects.exists()


def test_it_refuses_a_patient_page_whose_section_another_change_overtook(
    admin_client, users, infusion, monkeypatch
):
    """The patient's page, its infusion changed inline: Ana's change of the infusion lands
    between the page's checks and its save. Nothing of the page is saved, the patient's own
    change neither. (Ana's change is made in the page's transaction here, and goes back
    with it: what is shown is the page's answer.)"""
    ana, _ = users
    url = reverse("admin:registry_patient_change", args=[infusion.patient_id])
    data = form_fields(admin_client.get(url).content.decode())
    [dose] = [name for name in data if name.startswith("infusions-0-") and "cells_per_kg" in name]
    record_save = services.record_save

    def overtaken(*, record, **save):
        if isinstance(record, models.Infusion):
            changed = opened(record)
            changed.weight_kg = 61.0
            record_save(record=changed, user=ana, reason=REASON)
        return record_save(record=record, **save)

    monkeypatch.setattr(services, "record_save", overtaken)
    response = admin_client.post(
        url, data | {dose: "300000", "subject_id": "P99", "change_reason": "Dose"}
    )

    assert response.status_code == 302
    assert response.url == url
    [message] = [str(each) for each in get_messages(response.wsgi_request)]
    assert message.startswith("Not saved: This record was changed by ana at ")
    infusion.refresh_from_db()
    assert infusion.cells_per_kg == 240_000
    assert models.Patient.objects.get(pk=infusion.patient_id).subject_id != "P99"
