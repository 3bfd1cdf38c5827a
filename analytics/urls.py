"""/api/v1/studies/{code}/analytics/...: see analytics.views; the ADaM datasets under
/api/v1/studies/{code}/export/adam/: see analytics.adam.views."""

from django.urls import path, re_path

from analytics import views
from analytics.adam.variables import DATASETS
from analytics.adam.views import AdamDatasetView, AdamDefineView

ENDPOINTS = {
    "dataset": views.DatasetView,
    "response": views.ResponseView,
    "survival": views.SurvivalView,
    "follow-up": views.FollowUpView,
    "cumulative-incidence": views.IncidenceView,
    "toxicity": views.ToxicityView,
    "kinetics": views.KineticsView,
    "biomarkers/series": views.LabSeriesView,
    "biomarkers": views.BiomarkersView,
    "tables/characteristics": views.CharacteristicsTableView,
    "tables/outcomes": views.OutcomesTableView,
}
ADAM_DATASETS = "|".join(DATASETS)

urlpatterns = [
    *(
        path(
            f"studies/<slug:code>/analytics/{name}/",
            view.as_view(),
            name=f"analytics-{name.replace('/', '-')}",
        )
        for name, view in ENDPOINTS.items()
    ),
    re_path(
        rf"^studies/(?P<code>[-a-zA-Z0-9_]+)/export/adam/(?P<name>{ADAM_DATASETS})\."
        r"(?P<file_format>xpt|json|csv)$",
        AdamDatasetView.as_view(),
        name="study-export-adam",
    ),
    path(
        "studies/<slug:code>/export/adam/define.xml",
        AdamDefineView.as_view(),
        name="study-export-adam-define",
    ),
]
