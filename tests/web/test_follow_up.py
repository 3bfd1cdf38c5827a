"""The follow-up list's filters: in the page's words and the study's date format, judged by
the API's parameters (registry.schedule_list), each refusal named beside its field."""

import re

import pytest
from django import forms
from django.urls import reverse
from pytest_django.asserts import assertHTMLEqual

from registry.access import membership_grant
from registry.choices import DateFormat
from registry.models import Role
from registry.web.filters import ANY, FilterSelect
from tests import factories
from tests.clients import page_client_of

pytestmark = pytest.mark.django_db

# All the visits: the default list is those due this month, which depends on today.
PAGE = reverse("web:follow-up", kwargs={"code": "HCD19"}) + "?show=all"


@pytest.fixture
def client(clinician):
    """A coordinator of a study that writes dates day first, whose one patient was infused
    on 15 January 2020 (the protocol's default timepoints)."""
    study = factories.StudyFactory(date_format=DateFormat.DAY_MONTH_YEAR, data_cutoff=None)
    factories.InfusionFactory(patient=factories.PatientFactory(site__study=study))
    membership_grant(user=clinician, study=study, role=Role.COORDINATOR)
    return page_client_of(clinician)


def timepoints(response) -> list[str]:
    return [row.visit["timepoint"] for row in response.context["rows"]]


def test_it_reads_the_dates_in_the_study_s_format_and_shows_them_so(client):
    response = client.get(PAGE + "&due_from=01/02/2020&due_to=2020-02-29")

    assert response.status_code == 200
    assert timepoints(response) == ["Day 21", "Day 28"]
    html = response.content.decode()
    assert 'name="due_from" value="01/02/2020"' in html
    assert 'name="due_to" value="29/02/2020"' in html
    # The CSV is the API's: its link carries the dates in ISO.
    assert "due_from=2020-02-01&amp;due_to=2020-02-29" in html


def test_it_offers_each_filter_in_the_page_s_words(client):
    html = client.get(PAGE).content.decode()

    assert re.search(
        r'<select name="site" id="id_site">\s*<option value=""[^>]*>All your sites<', html
    )
    assert '<option value="BOREN">BOREN · Beijing Boren Hospital</option>' in html
    assert '<option value="Day 28">Day 28</option>' in html
    assert '<option value="overdue">Overdue</option>' in html
    assert "As DD/MM/YYYY" in html


def test_it_says_when_a_visit_is_done_as_the_schedule_decides_it(client):
    # Found reading the page: it said every section had to be recorded inside the window,
    # while the follow-up status counts from the window's opening on, and eligibility
    # whatever its date (registry.follow_up).
    html = client.get(PAGE).content.decode()

    assert "known on or after the day its window opens" in html
    assert "any other section recorded, whatever its date" in html


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("due_from=31/02/2020", "due_from", "31/02/2020 is not a date: February 2020 has 29 days"),
        (
            "due_from=01/03/2020&due_to=01/02/2020",
            "due_to",
            "Give a day on or after due_from",
        ),
        ("site=PUMC", "site", "No site &#x27;PUMC&#x27; among yours: BOREN"),
        ("timepoint=Day+5", "timepoint", "No timepoint &#x27;Day 5&#x27; in this study: "),
        ("status=late", "status", "&#x27;late&#x27; is not one of: done, upcoming, due, "),
    ],
)
def test_it_names_a_refused_filter_beside_its_field_and_lists_no_visit(
    client, query, field, message
):
    response = client.get(f"{PAGE}&{query}")

    assert response.status_code == 400
    assert response.context["rows"] == []
    html = response.content.decode()
    beside = re.search(rf'<ul class="field-errors" id="id_{field}_error">\s*<li>([^<]*)</li>', html)
    assert beside is not None and beside[1].startswith(message), html
    assert re.search(rf'aria-describedby="[^"]*id_{field}_error"', html)


def test_it_lists_a_refused_parameter_the_page_has_no_field_for(client):
    response = client.get(PAGE + "&ordering=colour&size=3")

    assert response.status_code == 400
    problems = {
        label: [str(m) for m in messages] for label, messages in response.context["problems"]
    }
    assert problems == {
        "Sort": [
            "'colour' is not one of: due_date, study_id, site, timepoint, -due_date, -study_id, "
            "-site, -timepoint"
        ],
        "size": [
            "Unknown parameter. Allowed: show, status, site, timepoint, due_from, due_to, on, "
            "cutoff, ordering, page"
        ],
    }


def test_it_names_every_refused_filter_at_once_each_in_one_message(client):
    response = client.get(PAGE + "&due_from=31/02/2020&site=PUMC")

    errors = response.context["filters"].errors
    assert errors["due_from"] == [
        "31/02/2020 is not a date: February 2020 has 29 days. Enter the date as DD/MM/YYYY, "
        "e.g. 15/10/2019"
    ]
    assert errors["site"] == ["No site 'PUMC' among yours: BOREN"]


@pytest.mark.parametrize("chosen", ["", "BOREN", "A&B", "not offered"])
def test_its_lists_are_written_as_django_s_select_writes_them(chosen):
    """The page's selects write their options at once, not through Django's template of
    an option; what they write is Django's, escaping and the field's attributes included."""
    offered = [("", "All your sites"), ("BOREN", "BOREN · Beijing Boren"), ("A&B", 'A & "B" <1>')]
    attrs = {"id": "id_site", "aria-describedby": "id_site_error", "aria-invalid": "true"}

    written = FilterSelect(choices=offered).render("site", chosen, attrs)

    assertHTMLEqual(written, forms.Select(choices=offered).render("site", chosen, attrs))


def test_a_list_in_groups_is_written_by_django_s_own_select():
    """Choices in groups keep their groups: FilterSelect leaves them to Django's Select."""
    offered = [("", ANY), ("Beijing", [("BOREN", "Boren"), ("PUMCH", "Peking Union")])]

    written = FilterSelect(choices=offered).render("site", "BOREN", {"id": "id_site"})

    assertHTMLEqual(
        written, forms.Select(choices=offered).render("site", "BOREN", {"id": "id_site"})
    )
    assert '<optgroup label="Beijing">' in written
