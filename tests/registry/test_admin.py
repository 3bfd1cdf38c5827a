"""Every admin page renders with the demo study, and the admin shows the model's rules."""

import json
import re
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.core.management import call_command
from django.urls import reverse

from registry import models, services
from registry.interchange.importer import cohort_import
from registry.sections import BY_KEY as SECTIONS_BY_KEY
from tests import factories
from tests.forms import form_fields

pytestmark = pytest.mark.django_db

ADDED_IN_1_1 = {
    models.LabResult: factories.LabResultFactory,
    models.ToxicityTreatment: factories.ToxicityTreatmentFactory,
    models.CasebookSignature: factories.CasebookSignatureFactory,
    models.NotificationPreference: lambda patient: models.NotificationPreference.objects.create(
        user=User.objects.get(username="admin")
    ),
}
# Shown, never typed in the admin: registry.casebook keeps the casebook; a data query is
# opened on the patient's page or by the registry.
READ_ONLY = (models.SectionStatus, models.CasebookSignature, models.DataQuery)
PUBLISHED = Path(__file__).parent.parent / "data" / "hcd19-published-cohort.json"


@pytest.fixture
def cohort():
    return cohort_import(data=json.loads(PUBLISHED.read_text())).study


@pytest.fixture
def demo_admin(client):
    """Signed in as the demo study's own `admin` login, after `load_demo`."""
    call_command("load_demo", stdout=StringIO())
    client.force_login(User.objects.get(username="admin"))
    return client


@pytest.fixture
def signed_in(client, admin_user):
    client.force_login(admin_user)
    return client


def registry_models():
    return [model for model in admin.site._registry if model._meta.app_label == "registry"]


@pytest.mark.parametrize("model", registry_models(), ids=lambda model: model.__name__)
def test_it_renders_every_list_add_and_change_page(demo_admin, model):
    name = f"admin:registry_{model._meta.model_name}"
    # The demo carries no lab series nor dated treatments yet (issue #18, item 6).
    first = model.objects.order_by("pk").first() or ADDED_IN_1_1[model](
        patient=models.Patient.objects.first()
    )

    assert demo_admin.get(reverse(f"{name}_changelist")).status_code == 200
    added = demo_admin.get(reverse(f"{name}_add")).status_code
    assert added == (403 if model in READ_ONLY else 200)
    assert demo_admin.get(reverse(f"{name}_change", args=[first.pk])).status_code == 200


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("d30_response=cr", 9),
        ("d30_response=cri", 4),
        ("d30_response=nr", 6),
        ("prior_allo_hct=true", 10),
        ("prior_allo_hct=false", 9),
        ("vital_status=dead", 6),
        ("vital_status=alive", 13),
        ("q=P18", 1),
    ],
)
def test_it_filters_and_searches_patients(signed_in, cohort, query, expected):
    response = signed_in.get(reverse("admin:registry_patient_changelist") + "?" + query)

    assert response.context["cl"].result_count == expected


def test_it_filters_patients_by_site(signed_in, cohort):
    site = cohort.sites.get()
    url = reverse("admin:registry_patient_changelist") + f"?site__id__exact={site.pk}"

    assert signed_in.get(url).context["cl"].result_count == 19


def test_it_shows_the_computed_grades_and_the_verdict_on_the_patient_page(signed_in, cohort):
    patient = models.Patient.objects.get(subject_id="P16")

    page = signed_in.get(reverse("admin:registry_patient_change", args=[patient.pk]))

    assert "CRS grade 1: fever only" in page.content.decode()
    assert "Eligible" in page.content.decode()


def test_it_shows_a_rule_next_to_the_field_and_saves_nothing(signed_in, cohort):
    patient = models.Patient.objects.get(subject_id="P16")
    infusion = patient.infusions.get()
    url = reverse("admin:registry_infusion_change", args=[infusion.pk])

    response = signed_in.post(
        url,
        {
            "patient": patient.pk,
            "date": infusion.date.isoformat(),
            "product": infusion.product,
            "weight_kg": infusion.weight_kg,
            "cells_per_kg": 90_000_000,
            "lot": "",
        },
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "above the protocol's ceiling" in errors["cells_per_kg"][0]
    infusion.refresh_from_db()
    assert infusion.cells_per_kg != 90_000_000


def new_patient_post(study, **records) -> dict:
    """The admin's add-patient form: each inline empty unless `records` gives its rows."""
    data = {
        "study": study.pk,
        "site": study.sites.get().pk,
        "subject_id": "NEW-1",
        "sex": "female",
        "enrollment_date": "2020-01-02",
        "last_contact_date": "2020-06-01",
    }
    for prefix in SECTIONS_BY_KEY:
        rows = records.get(prefix, [])
        data |= {f"{prefix}-TOTAL_FORMS": len(rows), f"{prefix}-INITIAL_FORMS": 0}
        data |= {f"{prefix}-MIN_NUM_FORMS": 0, f"{prefix}-MAX_NUM_FORMS": 1000}
        for index, row in enumerate(rows):
            data |= {f"{prefix}-{index}-{key}": value for key, value in row.items()}
    return data


def infused_and_dead_post(study, died: str) -> dict:
    """A new patient infused on 2020-01-15 who died of the disease on `died`."""
    return new_patient_post(
        study,
        infusions=[{"date": "2020-01-15", "product": "humanized_cd19", "weight_kg": 60,
                    "cells_per_kg": 200000}],
        events=[{"kind": "death", "date": died, "cause": "disease"}],
    )  # fmt: skip


def test_it_checks_records_entered_together_as_one_course(signed_in, cohort):
    data = infused_and_dead_post(cohort, died="2020-01-06")

    response = signed_in.post(reverse("admin:registry_patient_add"), data)

    assert response.status_code == 200
    events = next(
        f for f in response.context["inline_admin_formsets"] if f.formset.prefix == "events"
    )
    assert events.formset.forms[0].errors["date"] == ["death is before the infusion (2020-01-15)"]
    assert not models.Patient.objects.filter(subject_id="NEW-1").exists()


def test_it_saves_a_consistent_new_patient_from_one_page(signed_in, cohort):
    data = infused_and_dead_post(cohort, died="2020-06-01")

    response = signed_in.post(reverse("admin:registry_patient_add"), data)

    assert response.status_code == 302, response.context and response.context["errors"]
    patient = models.Patient.objects.get(subject_id="NEW-1")
    assert patient.events.get().kind == "death" and patient.infusions.count() == 1


def test_it_refuses_to_delete_the_response_a_relapse_stands_on(signed_in, cohort):
    relapsed = models.Patient.objects.filter(events__kind="relapse").first()
    response = relapsed.response_assessments.filter(status__in=["cr", "cri"]).first()
    url = reverse("admin:registry_responseassessment_delete", args=[response.pk])

    answer = signed_in.post(url, {"post": "yes", "change_reason": "Entered twice"}, follow=True)

    assert "Not deleted: A relapse needs an earlier response" in answer.content.decode()
    assert models.ResponseAssessment.objects.filter(pk=response.pk).exists()


def test_the_delete_page_asks_for_the_reason_as_the_change_form_does(signed_in, cohort):
    response = models.ResponseAssessment.objects.first()
    url = reverse("admin:registry_responseassessment_delete", args=[response.pk])

    html = signed_in.get(url).content.decode()

    assert '<label class="required" for="id_change_reason">Reason for change:</label>' in html
    field = re.search(r'<input [^>]*name="change_reason"[^>]*>', html).group()
    assert f'maxlength="{services.REASON_MAX_LENGTH}"' in field and "required" in field


def test_it_sets_last_contact_from_a_death_added_in_the_admin(signed_in, cohort):
    patient = models.Patient.objects.filter(died=False).first()
    died = patient.first_infusion_date + timedelta(days=40)
    patient.events.filter(date__gt=died).delete()
    models.Patient.objects.filter(pk=patient.pk).update(last_contact_date=died - timedelta(days=5))
    data = {"patient": patient.pk, "kind": "death", "date": died.isoformat(), "cause": "disease"}

    response = signed_in.post(reverse("admin:registry_followupevent_add"), data)

    assert response.status_code == 302, response.context and response.context["errors"]
    patient.refresh_from_db()
    assert patient.last_contact_date == died


def test_one_wrong_death_date_is_said_at_its_field_with_a_line_per_section(signed_in, cohort):
    """Issue #21, point 7: P01 of tests/data/hcd19-published-cohort.json, infused on
    2019-01-15, has daily assessments on days 0-10, CAR-T counts on days 0, 4, 7, 10, 14,
    21, 28, 42, 56 and 90 and a response assessment on day 30. A death typed on 2019-01-10,
    day -5, is before the infusion and puts all of them after it."""
    patient = models.Patient.objects.get(subject_id="P01")
    url = reverse("admin:registry_patient_change", args=[patient.pk])
    data = form_fields(signed_in.get(url).content.decode())
    (death,) = [
        name for name, value in data.items() if name.startswith("events-") and value == "death"
    ]
    data[death.replace("-kind", "-date")] = "2019-01-10"
    data["change_reason"] = "Corrected from the source document"

    response = signed_in.post(url, data)

    assert response.status_code == 200
    formsets = {f.formset.prefix: f.formset for f in response.context["inline_admin_formsets"]}
    died = "(day -5, 2019-01-10)"
    assert formsets["events"].forms[0].errors["date"] == [
        "death is before the infusion (2019-01-15)",
        f"10 CAR-T counts would fall after the death {died}",
        f"11 daily assessments would fall after the death {died}",
        f"1 response assessment would fall after the death {died}",
    ]
    for prefix in ("daily_assessments", "car_t_counts", "response_assessments"):
        assert [form.errors for form in formsets[prefix].forms] == [
            {} for _ in formsets[prefix].forms
        ]
    assert "is after the death" not in response.content.decode()
    patient.refresh_from_db()
    assert patient.events.get().date.isoformat() == "2019-04-20"
