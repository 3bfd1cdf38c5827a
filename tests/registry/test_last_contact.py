"""A recorded death and the last contact: the death sets it, moves it, and holds it; another
event moves it only forward."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from registry import models, services
from tests import factories

DIED = date(2020, 7, 1)


def infused_patient() -> models.Patient:
    patient = factories.PatientFactory(last_contact_date=date(2020, 6, 1))
    factories.LymphodepletionFactory(patient=patient)
    factories.InfusionFactory(patient=patient)
    return patient


def record_death(patient: models.Patient, owner, when: date = DIED) -> models.FollowUpEvent:
    death = models.FollowUpEvent(patient=patient, kind="death", date=when, cause="disease")
    services.record_save(record=death, user=owner)
    return death


def test_it_sets_last_contact_to_the_date_of_death(owner):
    patient = infused_patient()

    record_death(patient, owner)

    patient.refresh_from_db()
    assert patient.last_contact_date == DIED
    assert patient.version == 2
    last = patient.history.first()
    assert (last.history_user, last.history_change_reason) == (
        owner,
        services.LAST_CONTACT_AT_DEATH,
    )


def test_it_moves_last_contact_with_the_date_of_death(owner):
    patient = infused_patient()
    death = record_death(patient, owner)

    death.date = date(2020, 5, 20)
    services.record_save(record=death, user=owner, reason="date corrected", version=1)

    patient.refresh_from_db()
    assert patient.last_contact_date == date(2020, 5, 20)


def test_it_refuses_last_contact_on_another_date_while_a_death_is_recorded(owner):
    patient = infused_patient()
    record_death(patient, owner)
    patient.refresh_from_db()
    patient.last_contact_date = date(2020, 8, 1)

    with pytest.raises(ValidationError) as caught:
        services.record_save(record=patient, user=owner, reason="seen", version=2)

    assert caught.value.message_dict["last_contact_date"] == [
        "A death is recorded on 2020-07-01, so last contact is the date of death and moves "
        "with it: to change it, change the date of the death"
    ]
    assert models.Patient.objects.get().last_contact_date == DIED


# Found walking the pages: a relapse or a transplant after last contact was refused,
# naming a field the event's form does not have.
@pytest.mark.parametrize(
    ("when", "contact", "version", "reason"),
    [
        (date(2020, 5, 1), date(2020, 6, 1), 1, None),
        (date(2020, 8, 1), date(2020, 8, 1), 2, services.LAST_CONTACT_AT_EVENT),
    ],
)
def test_another_event_moves_last_contact_only_forward(owner, when, contact, version, reason):
    patient = infused_patient()

    transplant = models.FollowUpEvent(patient=patient, kind="allo_hct", date=when)
    services.record_save(record=transplant, user=owner)

    patient.refresh_from_db()
    assert (patient.last_contact_date, patient.version) == (contact, version)
    assert patient.history.first().history_change_reason == reason
