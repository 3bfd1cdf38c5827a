from collections.abc import Callable

from django.apps import AppConfig
from django.db.models import Model
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import Signal


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = "CAR-T registry"

    def ready(self) -> None:
        # Also connects the receivers of services (cascaded history rows), signins (failed
        # sign-ins per address) and tokens (a new password ends the user's tokens).
        from registry import (  # noqa: F401
            casebook,
            data_version,
            notifications,
            quality,
            schedule,
            services,
            signins,
            tokens,
        )
        from registry.models import (
            DailyAssessment,
            DataQuery,
            Study,
            Timepoint,
            ToxicityRecord,
        )
        from registry.sections import SECTIONS
        from registry.signals import (
            cohort_imported,
            quality_settings_changed,
            required_fields_changed,
        )

        for model in (section.model for section in SECTIONS):
            uid = f"registry-touch-{model._meta.model_name}"
            post_save.connect(services.patient_touched, sender=model, dispatch_uid=f"{uid}-saved")
            post_delete.connect(services.patient_touched, sender=model, dispatch_uid=f"{uid}-del")

        for signal, sender, receiver, uid in derived_at_each_write():
            signal.connect(receiver, sender=sender, dispatch_uid=uid)
        for signal in (post_save, post_delete):
            signal.connect(schedule.visits_after_timepoint_change, sender=Timepoint)
            # After the visits: the study's queries of sections missing at a closed window.
            signal.connect(quality.queries_after_timepoint_change, sender=Timepoint)
        required_fields_changed.connect(casebook.casebooks_after_required_change)
        quality_settings_changed.connect(quality.queries_after_settings_change)
        post_save.connect(schedule.timepoints_with_new_study, sender=Study)
        cohort_imported.connect(schedule.visits_after_import, dispatch_uid="registry-visits-import")
        # After the visits: the registry's queries of sections missing at a closed window.
        cohort_imported.connect(
            quality.queries_after_import, dispatch_uid="registry-queries-import"
        )

        # Emails (registry.notifications), sent once the write commits.
        post_save.connect(notifications.query_opened, sender=DataQuery, dispatch_uid="mail-query")
        for model in (DailyAssessment, ToxicityRecord):
            uid = f"mail-safety-{model._meta.model_name}"
            pre_save.connect(notifications.grades_before_save, sender=model, dispatch_uid=uid)
            post_save.connect(notifications.safety_signal, sender=model, dispatch_uid=uid)
        cohort_imported.connect(notifications.import_summary, dispatch_uid="mail-import")

        # Cached answers are filed under a token that every write replaces.
        data_version.connect_signals()


def derived_at_each_write() -> list[tuple[Signal, type[Model], Callable, str]]:
    """The receivers that make a patient's derived data again, in the writing transaction,
    at each write of the patient or of a section of its course: its follow-up visits
    (registry.schedule), then its casebook, the status of its sections and its figures
    (registry.casebook). Each as (signal, sender, receiver, dispatch_uid)."""
    from registry import casebook, schedule
    from registry.models import Patient
    from registry.sections import SECTIONS

    found = []
    for part, receiver in (
        ("visits", schedule.visits_after_write),
        ("casebook", casebook.casebook_after_write),
    ):
        for model in (Patient, *(section.model for section in SECTIONS)):
            uid = f"registry-{part}-{model._meta.model_name}"
            found += [
                (post_save, model, receiver, f"{uid}-s"),
                (post_delete, model, receiver, f"{uid}-d"),
            ]
    return found
