from django.contrib.auth import views as auth_views
from django.urls import include, path

from registry.web import (
    account_views,
    casebook_views,
    query_views,
    schedule_views,
    section_views,
    views,
)

study = "studies/<str:code>/"
patient = "patients/<int:pk>/"
section = f"{patient}<slug:section>/"

pages = [
    path("", views.study_list, name="study-list"),
    path(
        "account/notifications/", account_views.notification_settings, name="account-notifications"
    ),
    path(study, views.patient_list, name="patient-list"),
    path(f"{study}enrol/", views.patient_enrol, name="patient-enrol"),
    path(f"{study}enrol/eligibility/", views.enrolment_eligibility, name="enrolment-eligibility"),
    path(f"{study}follow-up/", schedule_views.follow_up, name="follow-up"),
    path(f"{study}queries/", query_views.study_queries, name="study-queries"),
    path(f"{study}completeness/", casebook_views.study_completeness, name="study-completeness"),
    path(patient, views.patient_detail, name="patient-detail"),
    path(f"{patient}casebook/sign/", casebook_views.casebook_sign, name="casebook-sign"),
    path(
        f"{patient}casebook/<slug:section>/verify/",
        casebook_views.section_verify,
        name="casebook-verify",
    ),
    path(f"{patient}queries/", query_views.query_open, name="query-open"),
    path(f"{patient}queries/places/", query_views.query_places, name="query-places"),
    path(f"{patient}queries/<int:query>/answer/", query_views.query_answer, name="query-answer"),
    path(f"{patient}queries/<int:query>/close/", query_views.query_close, name="query-close"),
    path(f"{patient}queries/<int:query>/confirm/", query_views.query_confirm, name="query-confirm"),
    path(f"{patient}part/<slug:part>/", views.patient_part, name="patient-part"),
    path(f"{patient}history/", views.patient_history, name="patient-history"),
    path(f"{patient}eligibility/check/", views.patient_eligibility, name="patient-eligibility"),
    path(f"{patient}daily_assessments/grades/", section_views.assessment_grades, name="grades"),
    path(f"{patient}labs/icaht/", section_views.lab_icaht, name="lab-icaht"),
    path(f"{patient}labs/<int:item>/icaht/", section_views.lab_value_icaht, name="lab-value-icaht"),
    path(section, section_views.section_show, name="section-show"),
    path(f"{section}edit/", section_views.section_edit, name="section-edit"),
    path(f"{section}new/", section_views.section_add, name="section-add"),
    path(f"{section}<int:item>/edit/", section_views.section_item_edit, name="section-item-edit"),
    path(
        f"{section}<int:item>/delete/",
        section_views.section_item_delete,
        name="section-item-delete",
    ),
]

# Login and logout keep their plain names: settings.LOGIN_URL and LOGOUT_REDIRECT_URL use them.
urlpatterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include((pages, "web"))),
]
