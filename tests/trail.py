"""Helpers for tests of the data as recorded on a day (registry.snapshots): an audit trail
written in the past, and corrections made to the published cohort since."""

from datetime import date, datetime, time

from django.db.models import F
from django.utils import timezone

from registry import models
from registry.sections import SECTIONS
from registry.services import record_delete, record_save
from tests.api.conftest import full_course

SECTION_MODELS = [section.model for section in SECTIONS]


def age_the_trail(day: date) -> None:
    """Move the history rows back to about noon of `day`, as if written then, in the order
    they were written (every row in the last minutes, as in a test)."""
    back = timezone.now() - timezone.make_aware(datetime.combine(day, time(12)))
    for model in (models.Study, models.Site, models.Patient, *SECTION_MODELS):
        model.history.update(history_date=F("history_date") - back)


def correct_the_cohort(user) -> None:
    """Later corrections to the published cohort: a relapse withdrawn, a sex corrected, a
    patient added, one removed."""
    relapse = models.FollowUpEvent.objects.get(patient__subject_id="P15", kind="relapse")
    record_delete(record=relapse, user=user, reason="Relapse not confirmed on review")
    patient = models.Patient.objects.get(subject_id="P04")
    patient.sex = "female" if patient.sex == "male" else "male"
    record_save(record=patient, user=user, reason="Sex entered wrongly")
    full_course(subject_id="P20", site=models.Site.objects.get(code="BOREN"))
    withdrawn = models.Patient.objects.get(subject_id="P19")
    record_delete(record=withdrawn, user=user, reason="Consent withdrawn")
