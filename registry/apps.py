from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = "CAR-T registry"

    def ready(self) -> None:
        # Also connects the receivers of services (cascaded history rows), signins (failed
        # sign-ins per address) and tokens (a new password ends the user's tokens).
        from registry import data_version, services, signins, tokens  # noqa: F401
        from registry.sections import SECTIONS

        for model in (section.model for section in SECTIONS):
            uid = f"registry-touch-{model._meta.model_name}"
            post_save.connect(services.patient_touched, sender=model, dispatch_uid=f"{uid}-saved")
            post_delete.connect(services.patient_touched, sender=model, dispatch_uid=f"{uid}-del")

        # Cached answers are filed under a token that every write replaces.
        data_version.connect_signals()
