"""The study's date format is set on its admin page (issue #21, point 8)."""

import pytest
from django.urls import reverse

from registry.choices import DateFormat
from tests import factories

pytestmark = pytest.mark.django_db


def test_it_sets_the_study_s_date_format_in_the_admin(client, admin_user):
    study = factories.StudyFactory()
    client.force_login(admin_user)
    address = reverse("admin:registry_study_change", args=[study.pk])
    form = client.get(address).context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None and name in form.fields
    }
    management = {
        f"{inline}-{count}": value
        for inline in ("sites", "timepoints")
        for count, value in (("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"))
    }

    response = client.post(address, data | management | {"date_format": "DD/MM/YYYY"})

    study.refresh_from_db()
    assert response.status_code == 302, response.context and response.context["errors"]
    assert study.date_format == DateFormat.DAY_MONTH_YEAR
