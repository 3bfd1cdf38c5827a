"""The coordinator dashboard's pages: see analytics.dashboard."""

from django.urls import path

from analytics import dashboard, export_page

urlpatterns = [
    path("studies/<str:code>/dashboard/", dashboard.dashboard, name="analytics-dashboard"),
    path("studies/<str:code>/export/", export_page.export, name="analytics-export"),
    path(
        "studies/<str:code>/dashboard/figures/<slug:name>.<slug:image_format>",
        dashboard.figure,
        name="analytics-dashboard-figure",
    ),
]
