"""?as_of= today: the day has not ended, so the answer says, in a Warning header, that the
data can still change (registry.parameters.UnsettledDayWarningMixin)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.api.conftest import full_course

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("roles")]

ENDPOINTS = [
    "/api/v1/studies/HCD19/export/",
    "/api/v1/studies/HCD19/export/patients.csv",
    "/api/v1/studies/HCD19/analytics/survival/",
]


@pytest.mark.parametrize("url", ENDPOINTS)
def test_an_answer_at_today_s_cut_off_says_it_can_still_change(editor_client, url):
    full_course()
    today = timezone.localdate().isoformat()

    response = editor_client.get(url, {"as_of": today})

    assert response.status_code == 200
    assert response["Warning"] == (
        f'299 - "The data cut-off {today} is today: until the day ends the data can still '
        'change, and the same request may then answer differently"'
    )


@pytest.mark.parametrize("url", ENDPOINTS)
def test_an_answer_at_a_past_cut_off_or_none_has_no_warning(editor_client, url):
    full_course()
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()

    for query in ({"as_of": yesterday}, {}):
        response = editor_client.get(url, query)
        assert response.status_code == 200
        assert "Warning" not in response
