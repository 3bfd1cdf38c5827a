from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = "CAR-T registry"

    def ready(self) -> None:
        # Connects the receiver that attributes cascaded history rows (registry.services).
        from registry import services  # noqa: F401
