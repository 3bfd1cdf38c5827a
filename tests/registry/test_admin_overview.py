"""The study's admin page shows its live statistics, the dashboard's, and where to read more."""

import json
from dataclasses import replace
from pathlib import Path

import pytest
from django.http import QueryDict
from django.urls import reverse

from analytics import params
from analytics.dashboard_form import DashboardParams
from analytics.results import study_result
from registry import models
from registry.choices import DateFormat
from registry.interchange.importer import cohort_import
from tests import factories

pytestmark = pytest.mark.django_db

PUBLISHED = Path(__file__).parent.parent / "data" / "hcd19-published-cohort.json"


def change_page(client, study) -> str:
    response = client.get(reverse("admin:registry_study_change", args=[study.pk]))
    assert response.status_code == 200
    return response.content.decode()


def unfiltered(study, name: str, **chosen) -> dict:
    analysis = params.analysis_request(DashboardParams, QueryDict())
    analysis = replace(analysis, study_cutoff=study.data_cutoff)
    return study_result(study, name, replace(analysis, params=analysis.params | chosen))


@pytest.fixture
def cohort():
    return cohort_import(data=json.loads(PUBLISHED.read_text())).study


def test_it_shows_the_studys_statistics_as_the_analytics_compute_them(client, admin_user, cohort):
    client.force_login(admin_user)

    html = change_page(client, cohort)

    response = unfiltered(cohort, "response")
    low, high = response["ci95"]
    assert f"{100 * response['rate']:.0f}%" in html
    assert f"95% CI {100 * low:.0f}–{100 * high:.0f}%" in html
    follow_up = unfiltered(cohort, "follow-up")
    assert f"{follow_up['median_months']:.1f} mo" in html
    os_12 = unfiltered(cohort, "survival", endpoint="os", times=(12.0,))
    assert f"{100 * os_12['groups'][0]['estimates'][0]['survival']:.0f}% (" in html
    assert "Overall survival at 12 months" in html
    assert "Event-free survival at 12 months" in html
    crs = unfiltered(cohort, "toxicity")["crs"]["distribution"]
    assert '<th scope="row">CRS</th>' + "".join(f"<td>{row['n']}</td>" for row in crs) in html


def test_it_links_to_the_dashboard_and_the_exports(client, admin_user, cohort):
    client.force_login(admin_user)

    html = change_page(client, cohort)

    assert f'href="{reverse("analytics-dashboard", args=[cohort.code])}"' in html
    assert f'href="{reverse("analytics-export", args=[cohort.code])}"' in html
    assert f'href="/api/v1/studies/{cohort.code}/export/patients.csv"' in html
    assert f'href="/api/v1/studies/{cohort.code}/export/"' in html


@pytest.mark.parametrize(
    ("date_format", "shown"),
    [(DateFormat.ISO, "2021-07-31"), (DateFormat.DAY_MONTH_YEAR, "31/07/2021")],
)
def test_it_says_the_cut_off_in_the_study_s_date_format(
    client, admin_user, cohort, date_format, shown
):
    # The published cohort's data_cutoff is 2021-07-31 (tests/data/hcd19-published-cohort.json).
    cohort.date_format = date_format
    cohort.save(update_fields=["date_format"])
    client.force_login(admin_user)

    assert f"At the clinical cut-off {shown}, over the patients you read" in change_page(
        client, cohort
    )


def test_it_counts_the_open_queries(client, owner):
    patient = factories.PatientFactory()
    factories.DataQueryFactory(patient=patient, raised_by=owner)
    closed = factories.DataQueryFactory(patient=patient, raised_by=owner)
    models.DataQuery.objects.filter(pk=closed.pk).update(status=models.DataQuery.Status.CLOSED)
    client.force_login(owner)

    html = change_page(client, patient.study)

    assert 'data-testid="open-queries">1<' in html


def test_it_shows_a_study_without_patients(client, admin_user):
    client.force_login(admin_user)
    study = factories.StudyFactory(code="EMPTY")

    html = change_page(client, study)

    assert "No patient to analyse yet." in html
    assert 'data-testid="open-queries">0<' in html
