"""The study's date format is shown read-only by the API, whose dates stay ISO whatever it is
(a machine contract; issue #21, point 8)."""

import pytest

from registry.choices import DateFormat

pytestmark = pytest.mark.django_db


@pytest.fixture
def day_month_year(roles):
    roles.date_format = DateFormat.DAY_MONTH_YEAR
    roles.save()
    return roles


def test_it_shows_the_study_s_date_format_and_keeps_dates_iso(reader_client, day_month_year):
    study = reader_client.get("/api/v1/studies/HCD19/").json()

    assert study["date_format"] == "DD/MM/YYYY"
    assert study["data_cutoff"] == "2021-07-31"


def test_the_date_format_cannot_be_changed_through_the_api(editor_client, day_month_year):
    editor_client.patch("/api/v1/studies/HCD19/", {"date_format": "YYYY-MM-DD"}, format="json")

    day_month_year.refresh_from_db()
    assert day_month_year.date_format == DateFormat.DAY_MONTH_YEAR
