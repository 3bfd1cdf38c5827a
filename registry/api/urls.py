"""/api/v1/: see registry.api.views for the layout of the resources."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import SimpleRouter

from registry.api import cohorts, fhir, odm
from registry.api.queries import DataQueryViewSet
from registry.api.views.account import NotificationSettingsView
from registry.api.views.casebook import (
    CasebookView,
    CompletenessView,
    SectionVerifyView,
    SignatureView,
)
from registry.api.views.docs import ApiDocsView
from registry.api.views.patients import PatientHistoryView, PatientViewSet
from registry.api.views.schedule import ScheduleCsvView, ScheduleView
from registry.api.views.sections import section_view
from registry.api.views.studies import SiteViewSet, StudyViewSet
from registry.api.views.tokens import TokenView
from registry.sections import SECTIONS, CourseSection

router = SimpleRouter()
router.register("studies", StudyViewSet, basename="study")
router.register("sites", SiteViewSet, basename="site")
router.register("patients", PatientViewSet, basename="patient")
router.register("queries", DataQueryViewSet, basename="dataquery")

RECORD = {"get": "retrieve", "put": "update", "patch": "partial_update", "delete": "destroy"}


def section_urls(section: CourseSection) -> list:
    # A section's addresses follow from its key, with hyphens.
    name = section.key.replace("_", "-")
    if not section.many:
        return [
            path(f"patients/<int:patient_pk>/{name}/", section_view(section, RECORD), name=name)
        ]
    return [
        path(
            f"patients/<int:patient_pk>/{name}/",
            section_view(section, {"get": "list", "post": "create"}),
            name=f"{name}-list",
        ),
        path(f"{name}/<int:pk>/", section_view(section, RECORD), name=f"{name}-detail"),
    ]


# A study's downloads and its pages about the patients, at studies/{code}/...
study = [
    path("export/", cohorts.CohortExportView.as_view(), name="study-export"),
    path("export/odm.xml", odm.OdmExportView.as_view(), name="study-export-odm"),
    path("export/fhir/", fhir.StudyBundleView.as_view(), name="study-export-fhir"),
    path("export/fhir.ndjson", fhir.StudyNdjsonView.as_view(), name="study-export-fhir-ndjson"),
    path(
        "export/patients.csv", cohorts.PatientsCsvView.as_view(), name="study-export-patients-csv"
    ),
    path(
        "export/patients.xlsx",
        cohorts.PatientsXlsxView.as_view(),
        name="study-export-patients-xlsx",
    ),
    path(
        "export/deidentified.csv",
        cohorts.DeidentifiedCsvView.as_view(),
        name="study-export-deidentified-csv",
    ),
    path("schedule/", ScheduleView.as_view(), name="study-schedule"),
    path("schedule.csv", ScheduleCsvView.as_view(), name="study-schedule-csv"),
    path("completeness/", CompletenessView.as_view(), name="study-completeness"),
]

# What a patient has besides its record and its sections, at patients/{id}/...
patient = [
    path("casebook/", CasebookView.as_view(), name="patient-casebook"),
    path("casebook/signature/", SignatureView.as_view(), name="patient-casebook-signature"),
    path("casebook/verify/", SectionVerifyView.as_view(), name="patient-casebook-verify"),
    path("history/", PatientHistoryView.as_view(), name="patient-history"),
    path("fhir/", fhir.PatientBundleView.as_view(), name="patient-fhir"),
    path(
        "queries/",
        DataQueryViewSet.as_view({"get": "patient_queries", "post": "patient_query_open"}),
        name="patient-queries",
    ),
]

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path(
        "account/notifications/",
        NotificationSettingsView.as_view(),
        name="account-notifications",
    ),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", ApiDocsView.as_view(url_name="api-schema"), name="api-docs"),
    path("studies/import/", cohorts.CohortImportView.as_view(), name="study-import"),
    path("studies/<slug:code>/", include(study)),
    path("patients/<int:patient_pk>/", include(patient)),
    *(url for section in SECTIONS for url in section_urls(section)),
    *router.urls,
]
