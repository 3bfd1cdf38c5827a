from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = "Cohort analytics"

    def ready(self) -> None:
        # Cached results are filed under the study's data version (registry.data_version),
        # which every write to its data moves; what follows is the analytics' own work
        # after an import.
        from django.db.models.signals import post_delete, post_save

        from analytics import frames, process_labs
        from analytics.dataset import stored
        from registry.sections import course_models
        from registry.signals import cohort_imported

        # A written patient's row is computed as the write commits, and an import's rows as
        # it commits: not by the first statistic after them.
        for model in course_models():
            uid = f"analytics-row-{model._meta.model_name}"
            post_save.connect(
                stored.row_stored_after_write, sender=model, dispatch_uid=f"{uid}-saved"
            )
            post_delete.connect(
                stored.row_stored_after_write, sender=model, dispatch_uid=f"{uid}-del"
            )
        cohort_imported.connect(stored.rows_stored_after_import, dispatch_uid="analytics-rows")
        # Each process's frame of the study (analytics.frames) is built again after one.
        cohort_imported.connect(frames.frame_rebuilt_after_import, dispatch_uid="analytics-frames")
        # And every process's lab values (analytics.process_labs) are read again.
        cohort_imported.connect(
            process_labs.lab_values_read_after_import, dispatch_uid="analytics-lab-values"
        )
