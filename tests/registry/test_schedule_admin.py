"""A study's timepoints in the admin: its administrators change them, with the rules in
words and nothing saved when one is broken; the visits follow; a coordinator only reads."""

import pytest
from django.urls import reverse

from registry.models import Role, Visit
from tests import factories
from tests.conftest import user_with_role
from tests.forms import form_fields

pytestmark = pytest.mark.django_db


@pytest.fixture
def study():
    study = factories.StudyFactory()
    factories.InfusionFactory(patient__site=factories.SiteFactory(study=study))
    return study


def change_page(client, study) -> str:
    return reverse("admin:registry_study_change", args=[study.pk])


def with_new_timepoint(client, study, **values) -> dict:
    """The study's page as shown, with one more timepoint filled in."""
    data = form_fields(client.get(change_page(client, study)).content.decode())
    index = int(data["timepoints-TOTAL_FORMS"])
    data["timepoints-TOTAL_FORMS"] = str(index + 1)
    data |= {f"timepoints-{index}-{name}": value for name, value in values.items()}
    data[f"timepoints-{index}-study"] = str(study.pk)
    return data


def test_a_study_administrator_adds_a_timepoint_and_the_visits_follow(client, study):
    client.force_login(user_with_role("chief", Role.ADMIN, study.sites.get()))
    data = with_new_timepoint(
        client,
        study,
        name="Month 36",
        target_day="1095",
        window_before="30",
        window_after="30",
        sections=["response_assessments", "events"],
    )
    response = client.post(change_page(client, study), data)
    assert response.status_code == 302
    timepoint = study.timepoints.get(name="Month 36")
    assert timepoint.sections == ["response_assessments", "events"]
    assert Visit.objects.filter(timepoint=timepoint).count() == 1


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"name": "Month 36", "window_before": "-7"},
            "The window before the target day cannot be negative",
        ),
        ({"name": "Day 28"}, "Please correct the duplicate data for name"),
        (
            {"name": "Month 36", "sections": ["visits"]},
            "Select a valid choice. visits is not one of",
        ),
    ],
)
def test_it_names_a_broken_rule_and_saves_nothing(client, study, values, message):
    client.force_login(user_with_role("chief", Role.ADMIN, study.sites.get()))
    filled = {
        "target_day": "1095",
        "window_before": "0",
        "window_after": "0",
        "sections": ["events"],
    }
    data = with_new_timepoint(client, study, **(filled | values))
    response = client.post(change_page(client, study), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert study.timepoints.count() == 11


def test_a_coordinator_reads_the_timepoints_without_changing_them(client, study):
    client.force_login(user_with_role("coord", Role.COORDINATOR, study.sites.get()))
    page = client.get(change_page(client, study)).content.decode()
    assert "Day 28" in page
    assert 'name="timepoints-0-name"' not in page
