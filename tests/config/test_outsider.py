"""Every address the registry serves, asked by users with no role where the data are.

The addresses come from the URL resolver, so a new page or endpoint is tried here the day it
is added: one that does not go through registry.access fails. The owner coordinates the home
study and gets each address; the outsider coordinates another study, the neighbour is a
clinician of the home study at its other site. Both have every model permission and are
staff: only their roles stand between them and the home study's patient.

- An address naming the home study, its patient or a record of the patient is not found
  (404) by the outsider, whatever the method (405 where the method is not served at all);
  one naming the patient or a record is not found by the neighbour either.
- A list shows the outsider nothing of the home study; a write to it is refused.
- Nothing of the home study changes.
"""

from types import SimpleNamespace

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from registry import models
from registry.interchange.exporter import cohort_document
from tests.api.conftest import full_course
from tests.conftest import new_neighbour, new_outsider, new_owner, read_again

pytestmark = pytest.mark.django_db

# Addresses with no study data behind them: the admin (tests/registry/test_admin_access.py),
# signing in and out, the API's token, schema and docs, the health check, the user's own
# notification settings (tests/web/test_notification_settings.py and
# tests/api/test_notification_settings.py).
NO_STUDY_DATA = {
    "account-notifications",
    "admin",
    "healthz",
    "login",
    "logout",
    "api-token",
    "api-schema",
    "api-docs",
}
METHODS = ("get", "post", "put", "patch", "delete")
# What an address's parameters are, where the parameter's name alone does not say.
PARAMETERS = {
    "web:section-show": {"section": "eligibility"},
    "web:section-edit": {"section": "lymphodepletion"},
    "analytics-dashboard-figure": {"name": "grades", "image_format": "svg"},
    "study-export-adam": {"name": "ADTTE", "file_format": "xpt"},
}
# The records an address's `item` names where they are not the patient's events.
ITEMS = {"web:lab-value-icaht": "labs"}
# The query an address cannot answer without (a required parameter).
QUERIES = {"analytics-biomarkers-series": "?analyte=anc"}
PATIENT_PARAMETERS = {"pk", "patient_pk", "item"}
# Where another role than the owner's (a coordinator) acts: a monitor verifies a section, an
# investigator signs a casebook. The owner is refused there, 403.
OTHER_ROLES = {"patient-casebook-verify", "patient-casebook-signature"}


def served(patterns=None, outer: tuple = (), namespace: str = ""):
    """(name, parameter names, view) of every address config.urls serves: the names of
    the parameters of the prefixes it is included under, then its own."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            if pattern.app_name == "admin":
                continue
            inner = f"{pattern.namespace}:" if pattern.namespace else namespace
            yield from served(pattern.url_patterns, (*outer, *parameters(pattern)), inner)
        elif isinstance(pattern, URLPattern) and pattern.name not in NO_STUDY_DATA:
            yield f"{namespace}{pattern.name}", [*outer, *parameters(pattern)], pattern.callback


def parameters(pattern: URLPattern | URLResolver) -> list[str]:
    """The names of the parameters of a pattern's own part of the address."""
    return list(getattr(pattern.pattern, "converters", {})) or list(
        pattern.pattern.regex.groupindex
    )


ADDRESSES = list(served())


@pytest.fixture(scope="module")
def shared(module_transaction, django_db_blocker) -> SimpleNamespace:
    """The home study's patient, with a record in every section and a data query, and the
    users who ask for it, made once for the module: each test's changes are rolled back."""
    with django_db_blocker.unblock():
        owner = new_owner()
        patient = full_course(subject_id="P001")
        models.DataQuery.objects.create(
            patient=patient, field="last_contact_date", question="Source?", raised_by=owner
        )
        return SimpleNamespace(
            home=patient, owner=owner, outsider=new_outsider(), neighbour=new_neighbour()
        )


home = read_again("home", models.Patient)
owner = read_again("owner", User)
outsider = read_again("outsider", User)
neighbour = read_again("neighbour", User)


def record_of(view, patient: models.Patient) -> int:
    """The id an address's `pk` names: the patient's, its site's or one of its records'."""
    # A section's viewset is given its serializer by as_view (registry.api.views.sections).
    given = getattr(view, "initkwargs", {}).get("serializer_class")
    serializer = given or getattr(getattr(view, "cls", None), "serializer_class", None)
    model = getattr(getattr(serializer, "Meta", None), "model", models.Patient)
    if model is models.Patient:
        return patient.pk
    if model is models.Site:
        return patient.site_id
    return model.objects.filter(patient=patient).first().pk


def address(name: str, parameters: list[str], view, patient: models.Patient) -> str:
    values = {
        "code": patient.study.code,
        "patient_pk": patient.pk,
        "section": "events",
        "item": getattr(patient, ITEMS.get(name, "events")).first().pk,
        "part": "header",
        "query": patient.data_queries.first().pk,
    }
    if "pk" in parameters:
        values["pk"] = record_of(view, patient)
    values |= PARAMETERS.get(name, {})
    path = reverse(name, kwargs={parameter: values[parameter] for parameter in parameters})
    return path + QUERIES.get(name, "")


def client_of(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def call(client: APIClient, method: str, url: str, patient: models.Patient):
    if method == "get":
        return client.get(url)
    body = {
        "study": patient.study.code,
        "site": patient.site.code,
        "study_id": "X01",
        "subject_id": "X01",
        "kind": "death",
        "date": "2020-02-01",
        "cause": "crs",
        "change_reason": "Tried by an outsider",
        "field": "last_contact_date",
        "question": "Tried by an outsider",
        "answer": "Tried by an outsider",
    }
    if url.endswith("/studies/import/"):
        body = cohort_document(patient.study)
        body["patients"][0]["sex"] = "male"
    return getattr(client, method)(url, body, format="json", HTTP_X_CHANGE_REASON="Tried")


def snapshot() -> list[list[tuple]]:
    """Every row of the registry's tables, their history included: any write shows."""
    registry = apps.get_app_config("registry").get_models()
    return [list(model.objects.order_by("pk").values_list()) for model in registry]


def text_of(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode(errors="replace")


def test_it_walks_every_page_and_endpoint():
    names = [name for name, _parameters, _view in ADDRESSES]

    assert len(names) > 50
    assert {"web:patient-detail", "patient-detail", "analytics-dashboard"} <= set(names)


@pytest.mark.parametrize(("name", "parameters", "view"), ADDRESSES, ids=[a[0] for a in ADDRESSES])
def test_the_owner_gets_each_address(home, owner, name, parameters, view):
    url = address(name, parameters, view, home)
    client = client_of(owner)

    response = client.get(url)
    if response.status_code == 405:  # answers a POST only, e.g. a live verdict
        response = call(client, "post", url, home)

    expected = (403,) if name in OTHER_ROLES else (200, 201, 302)
    assert response.status_code in expected, (url, text_of(response)[:300])


@pytest.mark.parametrize(("name", "parameters", "view"), ADDRESSES, ids=[a[0] for a in ADDRESSES])
def test_an_outsider_gets_nothing_of_the_home_study(home, outsider, name, parameters, view):
    url = address(name, parameters, view, home)
    client = client_of(outsider)
    before = snapshot()

    statuses = {}
    for method in METHODS:
        response = statuses[method] = call(client, method, url, home)
        if response.status_code < 300:
            assert home.study.code not in text_of(response), (method, url)
            assert home.subject_id not in text_of(response), (method, url)
    assert snapshot() == before
    answers = {method: response.status_code for method, response in statuses.items()}
    if parameters:
        assert set(answers.values()) <= {404, 405} and 404 in answers.values(), (url, answers)
    else:
        assert answers["get"] in (200, 405), (url, answers)
        assert set(answers.values()) <= {200, 400, 403, 405}, (url, answers)


PATIENT_ADDRESSES = [a for a in ADDRESSES if PATIENT_PARAMETERS & set(a[1])]


@pytest.mark.parametrize(
    ("name", "parameters", "view"), PATIENT_ADDRESSES, ids=[a[0] for a in PATIENT_ADDRESSES]
)
def test_a_clinician_of_another_site_gets_nothing_of_the_patient(
    home, neighbour, name, parameters, view
):
    url = address(name, parameters, view, home)
    client = client_of(neighbour)
    before = snapshot()

    answers = {method: call(client, method, url, home).status_code for method in METHODS}

    assert set(answers.values()) <= {404, 405} and 404 in answers.values(), (url, answers)
    assert snapshot() == before
