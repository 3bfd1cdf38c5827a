"""/api/v1/studies/{code}/analytics/...: see analytics.views."""

from django.urls import path

from analytics import views

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

urlpatterns = [
    path(
        f"studies/<slug:code>/analytics/{name}/",
        view.as_view(),
        name=f"analytics-{name.replace('/', '-')}",
    )
    for name, view in ENDPOINTS.items()
]
