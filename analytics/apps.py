from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = "Cohort analytics"

    def ready(self) -> None:
        # Cached results are filed under the registry's data version (registry.changes),
        # which every write moves; what follows is the analytics' own work after an import.
        from analytics import dataset, frames
        from registry.signals import cohort_imported

        # An import's rows are computed as it commits, not by the first statistic after it.
        cohort_imported.connect(dataset.study_imported, dispatch_uid="analytics-rows")
        # Each process's frame of the study (analytics.frames) is built again after one.
        cohort_imported.connect(frames.study_imported, dispatch_uid="analytics-frames")
