"""The admin writes and reads dates in the patient's study format, as the pages do: its date
boxes, the titles of its records, its lists and its messages (issue #21, point 8). In
Chromium: tests/web/test_admin_dates_browser.py."""

import re
from datetime import date

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from registry import models, services
from registry.choices import DateFormat
from registry.validators import completed_years, today_utc
from tests import factories
from tests.conftest import user_with_role
from tests.forms import form_fields
from tests.registry.test_admin import new_patient_post

pytestmark = pytest.mark.django_db

IMPOSSIBLE = (
    "31/02/2020 is not a date: February 2020 has 29 days. "
    "Enter the date as DD/MM/YYYY, e.g. 15/10/2019"
)


@pytest.fixture
def signed_in(client, admin_user):
    client.force_login(admin_user)
    return client


def patient_in(date_format: str) -> models.Patient:
    """Born 1 Mar 2000, enrolled 2 Jan 2020, infused 15 Jan 2020, an allogeneic transplant
    on 5 Mar 2020."""
    study = factories.StudyFactory(date_format=date_format)
    patient = factories.PatientFactory(site=factories.SiteFactory(study=study))
    factories.LymphodepletionFactory(patient=patient)
    factories.InfusionFactory(patient=patient)
    factories.FollowUpEventFactory(patient=patient, kind="allo_hct", date=date(2020, 3, 5))
    return patient


@pytest.fixture
def patient() -> models.Patient:
    return patient_in(DateFormat.DAY_MONTH_YEAR)


def change_url(patient: models.Patient) -> str:
    return reverse("admin:registry_patient_change", args=[patient.pk])


def post_change(client, patient: models.Patient, **typed: str):
    """The patient's admin page posted back as shown, with `typed` in place."""
    url = change_url(patient)
    data = form_fields(client.get(url).content.decode())
    data |= {"change_reason": "Corrected from the source document"} | typed
    return client.post(url, data)


def inline_forms(response, prefix: str) -> list:
    formsets = {f.formset.prefix: f.formset for f in response.context["inline_admin_formsets"]}
    return formsets[prefix].forms


def test_it_shows_the_dates_in_the_study_format_in_date_boxes(signed_in, patient):
    html = signed_in.get(change_url(patient)).content.decode()

    assert 'name="birth_date" value="01/03/2000"' in html
    assert 'name="events-0-date" value="05/03/2020"' in html
    assert 'placeholder="DD/MM/YYYY"' in html
    # The empty row that "Add another" copies reads the study's format too.
    empty_row_box = re.search(r'<input [^>]*name="events-__prefix__-date"[^>]*>', html)[0]
    assert 'data-date-format="DD/MM/YYYY"' in empty_row_box
    assert "js/date_picker.js" in html
    assert "vDateField" not in html  # the admin's own ISO-only date box


def test_it_titles_a_record_with_its_date_in_the_study_format(signed_in, patient):
    html = signed_in.get(change_url(patient)).content.decode()

    assert "Allogeneic HCT on 05/03/2020" in html
    assert "2020-03-05" not in html


def test_a_study_left_at_iso_keeps_iso_in_the_admin(signed_in):
    patient = patient_in(DateFormat.ISO)

    html = signed_in.get(change_url(patient)).content.decode()

    assert 'name="events-0-date" value="2020-03-05"' in html
    assert "Allogeneic HCT on 2020-03-05" in html


def test_it_reads_a_date_typed_in_the_study_format(signed_in, patient):
    response = post_change(signed_in, patient, diagnosis_date="15/10/2019")

    assert response.status_code == 302, response.context and response.context["errors"]
    patient.refresh_from_db()
    assert patient.diagnosis_date == date(2019, 10, 15)


def test_it_reads_iso_in_a_day_month_year_study(signed_in, patient):
    response = post_change(signed_in, patient, **{"events-0-date": "2020-03-09"})

    assert response.status_code == 302, response.context and response.context["errors"]
    assert patient.events.get().date == date(2020, 3, 9)


def test_it_refuses_an_impossible_date_at_its_field_in_words(signed_in, patient):
    response = post_change(signed_in, patient, diagnosis_date="31/02/2020")

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["diagnosis_date"] == [IMPOSSIBLE]
    patient.refresh_from_db()
    assert patient.diagnosis_date is None


def test_a_date_out_of_range_is_refused_in_the_study_format(signed_in, patient):
    age = completed_years(date(1890, 3, 1), today_utc())

    response = post_change(signed_in, patient, birth_date="01/03/1890")

    assert response.context["adminform"].form.errors["birth_date"] == [
        f"Date of birth 01/03/1890 would make the patient {age} years old; "
        "the registry accepts ages 0–120"
    ]
    assert "1890-03-01" not in response.content.decode()


def test_a_rule_of_the_course_quotes_its_dates_in_the_study_format(signed_in, patient):
    response = post_change(signed_in, patient, **{"events-0-date": "10/01/2020"})

    assert inline_forms(response, "events")[0].errors["date"] == [
        "allo hct is before the infusion (15/01/2020)"
    ]
    assert "2020-01-15" not in response.content.decode()
    assert patient.events.get().date == date(2020, 3, 5)


def test_a_refused_record_is_titled_as_it_is_stored(signed_in, patient):
    """Validation copies what was typed onto the record; its title names it as saved."""
    response = post_change(signed_in, patient, **{"events-0-date": "10/01/2020"})
    html = response.content.decode()

    assert inline_forms(response, "events")[0].errors
    assert "Allogeneic HCT on 05/03/2020" in html
    assert "Allogeneic HCT on 10/01/2020" not in html
    # What was typed stays in the box, for the user to correct.
    assert 'name="events-0-date" value="10/01/2020"' in html


def test_a_rule_quotes_its_dates_in_the_study_format_on_a_section_s_own_page(signed_in, patient):
    event = patient.events.get()
    url = reverse("admin:registry_followupevent_change", args=[event.pk])
    data = form_fields(signed_in.get(url).content.decode())
    data |= {"date": "10/01/2020", "change_reason": "Corrected from the source document"}

    response = signed_in.post(url, data)

    assert 'name="date" value="05/03/2020"' not in response.content.decode()
    assert response.context["adminform"].form.errors["date"] == [
        "allo hct is before the infusion (15/01/2020)"
    ]


def test_the_lists_show_dates_in_the_study_format(signed_in, patient):
    events = signed_in.get(reverse("admin:registry_followupevent_changelist")).content.decode()
    studies = signed_in.get(reverse("admin:registry_study_changelist")).content.decode()
    study = signed_in.get(reverse("admin:registry_study_change", args=[patient.study.pk]))

    assert "Allogeneic HCT on 05/03/2020" in events
    assert "31/07/2021" in studies  # the study's data cut-off
    assert 'name="data_cutoff" value="31/07/2021"' in study.content.decode()


def test_the_api_quotes_the_same_rule_s_dates_in_iso(admin_user, patient):
    """The API's format is ISO, whatever the study's (README: Dates on the pages and in
    the admin)."""
    client = APIClient()
    client.force_authenticate(admin_user)
    client.credentials(HTTP_X_CHANGE_REASON="Corrected from the source document")
    event = patient.events.get()

    response = client.patch(f"/api/v1/events/{event.pk}/", {"date": "2020-01-10"}, format="json")

    assert response.status_code == 400
    assert response.json()["date"] == ["allo hct is before the infusion (2020-01-15)"]


def test_another_site_and_another_study_see_none_of_it(client, patient, neighbour, outsider):
    """A clinician of the study at its other site, and a coordinator of another study."""
    for user in (neighbour, outsider):
        client.force_login(user)

        events = client.get(reverse("admin:registry_followupevent_changelist"))

        assert client.get(change_url(patient)).status_code == 404
        assert "Allogeneic HCT on" not in events.content.decode()


def event_change(signed_in, event: models.FollowUpEvent, **typed: str):
    url = reverse("admin:registry_followupevent_change", args=[event.pk])
    data = form_fields(signed_in.get(url).content.decode())
    return signed_in.post(
        url, data | {"change_reason": "Corrected from the source document"} | typed
    )


def test_the_admin_names_a_record_by_its_date_in_the_study_format(signed_in, patient):
    """Breadcrumbs, titles, the message after a save, the history page and the log entry
    name a record by `str(record)`, which writes its study's format."""
    event = patient.events.get()
    change = reverse("admin:registry_followupevent_change", args=[event.pk])
    history = reverse("admin:registry_followupevent_history", args=[event.pk])

    saved = event_change(signed_in, event, date="06/03/2020")
    page = signed_in.get(change).content.decode()
    history_page = signed_in.get(history).content.decode()

    assert saved.status_code == 302
    assert "Allogeneic HCT on 06/03/2020" in page.split('<div class="breadcrumbs">')[1]
    assert "Allogeneic HCT on 06/03/2020" in history_page
    assert "Allogeneic HCT on 05/03/2020" in history_page  # the version before the change
    assert "2020-03-0" not in page + history_page
    entry = LogEntry.objects.get(object_id=str(event.pk))
    assert entry.object_repr == "Allogeneic HCT on 06/03/2020"
    messages = [str(message) for message in get_messages(saved.wsgi_request)]
    assert any("Allogeneic HCT on 06/03/2020" in message for message in messages)


def test_the_history_page_says_when_each_version_was_saved_in_the_study_format(signed_in, patient):
    event = patient.events.get()
    history = reverse("admin:registry_followupevent_history", args=[event.pk])
    event_change(signed_in, event, date="06/03/2020")
    saved = [timezone.localtime(version.history_date) for version in event.history.all()]

    page = signed_in.get(history).content.decode()

    for moment in saved:
        assert f"{moment:%d/%m/%Y %H:%M} {moment.tzname()}" in page
    assert f"{saved[0]:%Y-%m-%d}" not in page


def test_a_deleted_record_s_history_is_written_in_the_format_of_the_study_it_was_in(
    signed_in, patient
):
    event = patient.events.get()
    history = reverse("admin:registry_followupevent_history", args=[event.pk])
    services.record_delete(record=event, user=None, reason="Entered on the wrong patient")

    page = signed_in.get(history).content.decode()

    assert "View history: Allogeneic HCT on 05/03/2020" in page
    assert "2020-03-05" not in page


def test_a_record_s_name_follows_its_own_study(patient):
    iso_study = factories.StudyFactory(code="ISO19", date_format=DateFormat.ISO)
    iso = factories.PatientFactory(site=factories.SiteFactory(study=iso_study, code="ISOS"))
    event = factories.FollowUpEventFactory(patient=iso, kind="allo_hct", date=date(2020, 3, 5))

    assert str(patient.events.get()) == "Allogeneic HCT on 05/03/2020"
    assert str(patient.infusions.get()).endswith(" on 15/01/2020")
    assert str(models.FollowUpEvent.objects.get(pk=event.pk)) == "Allogeneic HCT on 2020-03-05"
    assert str(models.FollowUpEvent(kind="allo_hct", date=date(2020, 3, 5))) == (
        "Allogeneic HCT on 2020-03-05"
    )


def queries_to_show(signed_in, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert signed_in.get(url).status_code == 200
    return len(queries)


def test_the_history_page_reads_the_study_once_however_long_the_history(signed_in, patient):
    event = patient.events.get()
    url = reverse("admin:registry_followupevent_history", args=[event.pk])
    short = queries_to_show(signed_in, url)
    for day in (6, 7, 8, 9):
        event_change(signed_in, patient.events.get(), date=f"0{day}/03/2020")

    assert queries_to_show(signed_in, url) == short


def test_a_section_s_list_reads_the_studies_once_however_many_records(signed_in, patient):
    url = reverse("admin:registry_followupevent_changelist")
    few = queries_to_show(signed_in, url)
    for day in (6, 7, 8):
        factories.FollowUpEventFactory(
            patient=patient, kind="other_therapy", date=date(2020, 3, day)
        )

    assert queries_to_show(signed_in, url) == few


def test_a_new_patient_s_dates_are_read_in_the_format_of_the_study_chosen(signed_in, patient):
    """The superuser reaches two studies: the dates follow the one chosen on the form."""
    iso_study = factories.StudyFactory(code="ISO19", date_format=DateFormat.ISO)
    factories.SiteFactory(study=iso_study, code="ISOS")
    data = new_patient_post(patient.study)
    data |= {"enrollment_date": "02/01/2020", "last_contact_date": "01/06/2020"}

    response = signed_in.post(reverse("admin:registry_patient_add"), data)

    assert response.status_code == 302, response.context and response.context["errors"]
    added = models.Patient.objects.get(subject_id="NEW-1")
    assert (added.enrollment_date, added.last_contact_date) == (date(2020, 1, 2), date(2020, 6, 1))


def test_the_add_page_offers_each_study_with_its_format_the_study_first(signed_in, patient):
    iso_study = factories.StudyFactory(code="ISO19", date_format=DateFormat.ISO)
    factories.SiteFactory(study=iso_study, code="ISOS")

    form = signed_in.get(reverse("admin:registry_patient_add")).context["adminform"].form
    html = str(form["study"])

    assert list(form.fields)[0] == "study"
    assert form.date_format == DateFormat.ISO  # until a study is chosen
    assert 'data-date-format="DD/MM/YYYY"' in html and 'data-date-format="YYYY-MM-DD"' in html


def test_a_user_of_one_study_finds_it_chosen_and_its_format_in_the_date_boxes(client, patient):
    iso_study = factories.StudyFactory(code="ISO19", date_format=DateFormat.ISO)
    factories.SiteFactory(study=iso_study, code="ISOS")
    client.force_login(user_with_role("coordinator", models.Role.COORDINATOR, patient.site))

    response = client.get(reverse("admin:registry_patient_add"))
    form = response.context["adminform"].form

    assert form.initial["study"] == patient.study.pk
    assert form.date_format == DateFormat.DAY_MONTH_YEAR
    assert 'name="birth_date"' in str(form["birth_date"])
    assert 'placeholder="DD/MM/YYYY"' in str(form["birth_date"])
