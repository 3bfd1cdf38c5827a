"""The pages of a study set to DD/MM/YYYY show and read its dates so; another study's stay
ISO (issue #21, point 8). The API stays ISO: tests/api/test_study_date_format.py."""

from datetime import date

import pytest
from django.urls import reverse

from registry.access import membership_grant
from registry.models import Role
from tests import factories
from tests.htmx import HTMX


@pytest.fixture
def patient(clinician):
    """Enrolled 2 Jan 2020, infused 15 Jan 2020, in a study written day-month-year."""
    patient = factories.infused_in_day_month_year_study()
    membership_grant(user=clinician, study=patient.study, role=Role.COORDINATOR)
    return patient


def url(name: str, *args) -> str:
    return reverse(f"web:{name}", args=args)


def add_event(client, patient, **data):
    data = {"kind": "allo_hct"} | data
    return client.post(url("section-add", patient.pk, "events"), data, **HTMX)


def test_it_shows_the_patient_s_dates_in_the_study_format(signed_in, patient):
    html = signed_in.get(url("patient-detail", patient.pk)).content.decode()

    assert "Enrolled 02/01/2020" in html
    assert "<dd>01/03/2000</dd>" in html  # date of birth
    assert '<th scope="row">15/01/2020</th>' in html  # the infusion
    assert "2020-01-15</time>" not in html


def test_it_shows_dates_in_the_patient_list_and_timeline_in_the_study_format(signed_in, patient):
    listed = signed_in.get(url("patient-list", patient.study.code)).content.decode()
    timeline = signed_in.get(url("patient-part", patient.pk, "timeline")).content.decode()

    assert '<td class="date">02/01/2020</td>' in listed
    assert '<time datetime="2020-01-15">15/01/2020</time>' in timeline


def test_it_shows_iso_dates_in_a_study_left_at_the_default(signed_in, clinician):
    patient = factories.PatientFactory()
    membership_grant(user=clinician, study=patient.study, role=Role.COORDINATOR)

    html = signed_in.get(url("patient-detail", patient.pk)).content.decode()

    assert "Enrolled 2020-01-02" in html


def test_the_date_box_shows_and_reads_the_study_format(signed_in, patient):
    form = signed_in.get(url("section-add", patient.pk, "events"), **HTMX).content.decode()
    add_event(signed_in, patient, date="20/07/2020")

    assert 'placeholder="DD/MM/YYYY"' in form
    assert "As DD/MM/YYYY" in form
    assert patient.events.get().date == date(2020, 7, 20)


def test_the_date_box_reads_iso_too(signed_in, patient):
    add_event(signed_in, patient, date="2020-07-20")

    assert patient.events.get().date == date(2020, 7, 20)


def test_a_date_typed_the_wrong_way_is_refused_naming_the_format(signed_in, patient):
    html = add_event(signed_in, patient, date="31/02/2021").content.decode()

    assert "31/02/2021 is not a date: February 2021 has 28 days" in html
    assert "Enter the date as DD/MM/YYYY, e.g. 15/10/2019" in html
    assert not patient.events.exists()


def test_a_message_quoting_a_date_quotes_it_in_the_study_format(signed_in, patient):
    html = add_event(signed_in, patient, date="01/01/2020").content.decode()

    assert "Allo hct is before the infusion (15/01/2020)" in html
    assert "2020-01-15" not in html.split('class="field-errors"')[1].split("</ul>")[0]


def test_a_saved_date_is_shown_in_the_box_in_the_study_format(signed_in, patient):
    event = factories.FollowUpEventFactory(patient=patient, date=date(2020, 3, 5))

    form = signed_in.get(url("section-item-edit", patient.pk, "events", event.pk), **HTMX)

    assert 'value="05/03/2020"' in form.content.decode()


def test_the_patient_list_filters_by_a_date_typed_in_the_study_format(signed_in, patient):
    list_page = url("patient-list", patient.study.code)

    typed = signed_in.get(list_page, {"infused_after": "15/01/2020"})
    later = signed_in.get(list_page, {"infused_after": "16/01/2020"})
    linked = signed_in.get(list_page, {"infused_after": "2020-01-15"})

    assert [row[0] for row in typed.context["rows"]] == [patient]
    assert later.context["rows"] == []
    # A link in ISO (from the dashboard) shows the date in the study's format.
    assert linked.context["filters"].form["infused_after"].value() == "15/01/2020"
    html = typed.content.decode()
    assert 'placeholder="DD/MM/YYYY"' in html
    # The dashboard and the Export page are linked with the date in ISO.
    assert f'/studies/{patient.study.code}/dashboard/?infused_after=2020-01-15"' in html
    assert f'/studies/{patient.study.code}/export/?infused_after=2020-01-15"' in html


def test_the_patient_list_refuses_an_impossible_date_at_its_field(signed_in, patient):
    response = signed_in.get(
        url("patient-list", patient.study.code), {"infused_before": "30/02/2020"}
    )

    errors = response.context["filters"].form.errors
    assert errors["infused_before"] == [
        "30/02/2020 is not a date: February 2020 has 29 days. "
        "Enter the date as DD/MM/YYYY, e.g. 15/10/2019"
    ]
    assert "February 2020 has 29 days" in response.content.decode()
