from django.apps import AppConfig
from django.db.models.signals import post_save, pre_delete


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = "Cohort analytics"

    def ready(self) -> None:
        # Cached results of a study are dropped when its data change: see analytics.caching.
        from analytics import caching, dataset
        from registry.models import Study
        from registry.signals import cohort_imported

        post_save.connect(caching.study_saved, sender=Study, dispatch_uid="analytics-study")
        for model in caching.section_models():
            uid = f"analytics-{model._meta.model_name}"
            post_save.connect(caching.section_saved, sender=model, dispatch_uid=f"{uid}-saved")
            pre_delete.connect(caching.section_deleting, sender=model, dispatch_uid=f"{uid}-del")
        # An import's rows are computed as it commits, not by the first statistic after it.
        cohort_imported.connect(dataset.study_imported, dispatch_uid="analytics-rows")
