"""/api/v1/: see registry.api.views for the layout of the resources."""

from django.urls import path
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
    path("studies/<slug:code>/export/", cohorts.CohortExportView.as_view(), name="study-export"),
    path(
        "studies/<slug:code>/export/odm.xml", odm.OdmExportView.as_view(), name="study-export-odm"
    ),
    path(
        "studies/<slug:code>/export/fhir/",
        fhir.StudyBundleView.as_view(),
        name="study-export-fhir",
    ),
    path(
        "studies/<slug:code>/export/fhir.ndjson",
        fhir.StudyNdjsonView.as_view(),
        name="study-export-fhir-ndjson",
    ),
    path(
        "studies/<slug:code>/export/patients.csv",
        cohorts.PatientsCsvView.as_view(),
        name="study-export-patients-csv",
    ),
    path(
        "studies/<slug:code>/export/patients.xlsx",
        cohorts.PatientsXlsxView.as_view(),
        name="study-export-patients-xlsx",
    ),
    path(
        "studies/<slug:code>/export/deidentified.csv",
        cohorts.DeidentifiedCsvView.as_view(),
        name="study-export-deidentified-csv",
    ),
    path("studies/<slug:code>/schedule/", ScheduleView.as_view(), name="study-schedule"),
    path("studies/<slug:code>/schedule.csv", ScheduleCsvView.as_view(), name="study-schedule-csv"),
    path(
        "studies/<slug:code>/completeness/", CompletenessView.as_view(), name="study-completeness"
    ),
    path("patients/<int:patient_pk>/casebook/", CasebookView.as_view(), name="patient-casebook"),
    path(
        "patients/<int:patient_pk>/casebook/signature/",
        SignatureView.as_view(),
        name="patient-casebook-signature",
    ),
    path(
        "patients/<int:patient_pk>/casebook/verify/",
        SectionVerifyView.as_view(),
        name="patient-casebook-verify",
    ),
    path(
        "patients/<int:patient_pk>/history/",
        PatientHistoryView.as_view(),
        name="patient-history",
    ),
    path("patients/<int:patient_pk>/fhir/", fhir.PatientBundleView.as_view(), name="patient-fhir"),
    path(
        "patients/<int:patient_pk>/queries/",
        DataQueryViewSet.as_view({"get": "patient_queries", "post": "patient_query_open"}),
        name="patient-queries",
    ),
    *(url for section in SECTIONS for url in section_urls(section)),
    *router.urls,
]
