"""Every clinical date from 1900 to tomorrow in UTC, a birth date giving an age of 0 to 120:
through the models, the admin and the cohort import."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db.models import DateField, DateTimeField
from django.urls import reverse

from registry import models, validators
from registry.interchange.importer import cohort_import
from registry.interchange.reader import DocumentRejected
from tests import factories
from tests.registry.test_interchange import cohort, patient

pytestmark = pytest.mark.django_db

# Each clinical date field and the words its messages start with.
CLINICAL_DATES = [
    (models.Patient, "enrollment_date", "Date of enrolment"),
    (models.Patient, "last_contact_date", "Date of last contact"),
    (models.PriorTherapy, "date", "Date of the prior therapy"),
    (models.PriorTherapy, "relapse_date", "Date of relapse"),
    (models.Lymphodepletion, "start_date", "Start of lymphodepletion"),
    (models.Infusion, "date", "Infusion date"),
    (models.FollowUpEvent, "date", "Event date"),
    (models.Study, "data_cutoff", "Data cut-off"),
]


def today() -> date:
    return datetime.now(UTC).date()


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def field_errors(model, field: str, value: date) -> list[str]:
    try:
        model(**{field: value}).clean_fields()
    except ValidationError as error:
        return error.message_dict.get(field, [])
    return []


def test_every_date_a_clinician_enters_has_the_range():
    for model in apps.get_app_config("registry").get_models():
        if model.__name__.startswith("Historical"):
            continue
        for field in model._meta.get_fields():
            # A DateTimeField is a DateField too; those are the registry's own stamps.
            clinical = isinstance(field, DateField) and not isinstance(field, DateTimeField)
            if clinical and field.editable:
                assert any(
                    isinstance(validator, validators.PlausibleDate)
                    for validator in field.validators
                ), f"{model.__name__}.{field.name}"


@pytest.mark.parametrize(("model", "field", "what"), CLINICAL_DATES)
def test_it_accepts_1900_on_and_refuses_the_day_before(model, field, what):
    assert field_errors(model, field, date(1900, 1, 1)) == []
    assert field_errors(model, field, date(1899, 12, 31)) == [
        f"{what} 1899-12-31 is before 1900; enter a date from 1900-01-01 on"
    ]


@pytest.mark.parametrize(("model", "field", "what"), CLINICAL_DATES)
def test_it_accepts_tomorrow_and_refuses_the_day_after(model, field, what):
    tomorrow = today() + timedelta(days=1)
    after = tomorrow + timedelta(days=1)

    assert field_errors(model, field, tomorrow) == []
    assert field_errors(model, field, after) == [
        f"{what} {after} is in the future; enter a date no later than {tomorrow}"
    ]


def test_it_accepts_a_birth_date_120_years_ago_and_refuses_121():
    born = years_before(today(), 121)

    assert field_errors(models.Patient, "birth_date", years_before(today(), 120)) == []
    assert field_errors(models.Patient, "birth_date", born) == [
        f"Date of birth {born} would make the patient 121 years old; "
        "the registry accepts ages 0–120"
    ]


def test_it_refuses_a_birth_date_in_year_1():
    assert field_errors(models.Patient, "birth_date", date(1, 1, 1)) == [
        f"Date of birth 0001-01-01 would make the patient {today().year - 1} years old; "
        "the registry accepts ages 0–120"
    ]


def test_it_accepts_a_birth_date_tomorrow_and_refuses_the_day_after():
    tomorrow = today() + timedelta(days=1)
    after = tomorrow + timedelta(days=1)

    assert field_errors(models.Patient, "birth_date", tomorrow) == []
    assert field_errors(models.Patient, "birth_date", after) == [
        f"Date of birth {after} is in the future; enter a date no later than {tomorrow}"
    ]


def test_it_reads_the_day_when_it_validates(monkeypatch):
    # The range must move with the calendar: fixed when the code is loaded, a server up
    # for a week would refuse the dates of that week.
    later = today() + timedelta(days=30)
    monkeypatch.setattr(validators, "today_utc", lambda: later)

    assert field_errors(models.Infusion, "date", later + timedelta(days=1)) == []
    assert "is in the future" in field_errors(models.Infusion, "date", later + timedelta(days=2))[0]


def test_it_refuses_a_far_off_infusion_through_full_clean():
    infusion = factories.InfusionFactory.build(
        patient=factories.PatientFactory(), date=date(3000, 1, 1)
    )

    with pytest.raises(ValidationError) as caught:
        infusion.full_clean()

    assert "Infusion date 3000-01-01 is in the future" in caught.value.message_dict["date"][0]


def test_the_import_names_the_json_path_and_writes_nothing():
    far_off = patient(birth_date="0001-01-01")
    far_off["infusions"][0]["date"] = "3000-01-01"

    with pytest.raises(DocumentRejected) as caught:
        cohort_import(data=cohort(patient("P01"), far_off))

    problems = {problem.path: problem.message for problem in caught.value.problems}
    assert "would make the patient" in problems["patients[1].birth_date"]
    assert "3000-01-01 is in the future" in problems["patients[1].infusions[0].date"]
    assert not models.Study.objects.exists()
    assert not models.Patient.objects.exists()


def test_the_import_refuses_a_data_cutoff_before_1900():
    document = cohort() | {"study": {"code": "HCD19", "title": "x", "data_cutoff": "1899-12-31"}}

    with pytest.raises(DocumentRejected) as caught:
        cohort_import(data=document)

    assert [problem.path for problem in caught.value.problems] == ["study.data_cutoff"]
    assert not models.Study.objects.exists()


def test_the_admin_shows_the_range_beside_the_date_and_saves_nothing(client, admin_user):
    infusion = factories.InfusionFactory(patient=factories.LymphodepletionFactory().patient)
    client.force_login(admin_user)
    after = today() + timedelta(days=2)

    response = client.post(
        reverse("admin:registry_infusion_change", args=[infusion.pk]),
        {
            "patient": infusion.patient.pk,
            "date": after.isoformat(),
            "product": infusion.product,
            "weight_kg": infusion.weight_kg,
            "cells_per_kg": infusion.cells_per_kg,
            "lot": "",
        },
    )

    assert response.status_code == 200
    assert "is in the future" in response.context["adminform"].form.errors["date"][0]
    infusion.refresh_from_db()
    assert infusion.date == factories.INFUSION_DATE
