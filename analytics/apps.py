from django.apps import AppConfig
from django.db.models.signals import post_save, pre_delete


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = "Cohort analytics"

    def ready(self) -> None:
        # Cached results of a study are dropped when its data change: see analytics.caching.
        from analytics import caching, dataset, frames
        from registry.models import Site, Study
        from registry.signals import cohort_imported

        post_save.connect(caching.study_saved, sender=Study, dispatch_uid="analytics-study")
        # A site renamed: its patients' rows show the new code.
        post_save.connect(caching.site_saved, sender=Site, dispatch_uid="analytics-site")
        for model in caching.section_models():
            uid = f"analytics-{model._meta.model_name}"
            post_save.connect(caching.section_saved, sender=model, dispatch_uid=f"{uid}-saved")
            pre_delete.connect(caching.section_deleting, sender=model, dispatch_uid=f"{uid}-del")
        # An import's rows are computed as it commits, not by the first statistic after it.
        cohort_imported.connect(dataset.study_imported, dispatch_uid="analytics-rows")
        # Each process's frame of the study (analytics.frames) is built again after one.
        cohort_imported.connect(frames.study_imported, dispatch_uid="analytics-frames")
