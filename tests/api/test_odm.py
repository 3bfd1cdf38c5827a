"""CDISC ODM over HTTP: GET studies/{code}/export/odm.xml and POST studies/import/ with an
XML body: who may, the parameters, and the same refusals as the cohort document's."""

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from registry import models, services
from registry.interchange.exporter import cohort_document
from tests.clients import api_client_of
from tests.odm import NS, imported_study, root_of, schema_errors, subjects

pytestmark = pytest.mark.django_db

EXPORT = "/api/v1/studies/HCD19/export/odm.xml"
IMPORT = "/api/v1/studies/import/"


def body(response) -> str:
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content).decode()


def post_xml(client, text: str):
    return client.post(IMPORT, text.encode(), content_type="application/xml")


def test_a_coordinator_exports_a_valid_odm_attachment(owner):
    imported_study()
    response = api_client_of(owner).get(EXPORT)
    assert response["Content-Type"] == "application/xml; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="HCD19-odm.xml"'
    text = body(response)
    assert schema_errors(text) == []
    assert len(subjects(text)) == 20


def test_only_the_studys_coordinators_and_administrators_export(teammate, neighbour, outsider):
    imported_study()
    assert api_client_of(teammate).get(EXPORT).status_code == 403  # monitor
    assert api_client_of(neighbour).get(EXPORT).status_code == 403  # clinician at one site
    assert api_client_of(outsider).get(EXPORT).status_code == 404  # no role in the study
    assert APIClient().get(EXPORT).status_code == 401


def test_the_cutoff_and_as_of_apply_and_are_said(owner):
    imported_study()
    today = timezone.localdate().isoformat()
    client = api_client_of(owner)
    response = client.get(EXPORT, {"cutoff": "2020-12-29", "as_of": today})
    assert response["X-Data-Cutoff"] == "2020-12-29"
    assert response["X-Data-As-Of"] == today
    assert "Warning" in response  # as recorded today: the day can still change
    assert 'filename="HCD19-odm-as-of-' in response["Content-Disposition"]
    # P19, infused 2020-11-30, was assessed on day 30, 2020-12-30: after the cut-off.
    cut = subjects(body(response))["P19"]
    whole = subjects(body(client.get(EXPORT)))["P19"]
    assessments = ".//odm:ItemGroupData[@ItemGroupOID='IG.RESPONSE_ASSESSMENTS']"
    assert (len(cut.findall(assessments, NS)), len(whole.findall(assessments, NS))) == (0, 1)


def test_since_gives_the_changes_as_a_transactional_document(owner):
    imported_study()
    since = timezone.now()
    p02 = models.Patient.objects.get(subject_id="P02")
    p02.sex = "female" if p02.sex == "male" else "male"
    services.record_save(record=p02, user=owner, reason="Corrected from the source document")
    response = api_client_of(owner).get(EXPORT, {"since": since.isoformat()})
    text = body(response)
    assert root_of(text).get("FileType") == "Transactional"
    assert list(subjects(text)) == ["P02"]
    assert "-changes-since-" in response["Content-Disposition"]


@pytest.mark.parametrize(
    ("query", "name", "words"),
    [
        ({"since": "last week"}, "since", "Give since as a date and time"),
        ({"since": "2999-01-01T00:00:00Z"}, "since", "still to come"),
        ({"cutoff": "31/07/2021"}, "cutoff", "YYYY-MM-DD"),
        ({"format": "json"}, "format", "Unknown parameter"),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(owner, query, name, words):
    imported_study()
    response = api_client_of(owner).get(EXPORT, query)
    assert response.status_code == 400
    assert words in " ".join(response.json()[name])


def test_an_exported_document_imports_back_into_an_empty_registry(owner, editor_client):
    study = imported_study()
    before = cohort_document(study)
    text = body(api_client_of(owner).get(EXPORT))
    for model in (models.Patient, models.Site, models.Study):
        model.objects.all().delete()
    response = post_xml(editor_client, text)
    assert response.status_code == 200, response.content
    assert response.json()["created"] == 20
    assert cohort_document(models.Study.objects.get()) == before


def test_a_foreign_document_is_refused_naming_the_oids(editor_client):
    from tests.registry.test_odm_import import FOREIGN

    response = post_xml(editor_client, FOREIGN)
    assert response.status_code == 400
    found = response.json()
    assert found["detail"] == "4 problem(s) in the ODM document; nothing was imported"
    assert "MDV.1" in found["problems"][0]["message"]
    assert "IG.VITALS" in found["problems"][2]["message"]
    assert not models.Study.objects.exists()


def test_a_body_that_is_no_xml_is_refused(editor_client):
    response = editor_client.post(IMPORT, b"{not xml", content_type="application/xml")
    assert response.status_code == 400
    assert "not an XML document" in response.json()["problems"][0]["message"]


def test_a_locked_study_refuses_the_import(owner):
    study = imported_study()
    text = body(api_client_of(owner).get(EXPORT))
    services.study_lock(study=study)
    response = post_xml(api_client_of(owner), text)
    assert response.status_code == 400
    (problem,) = response.json()["problems"]
    assert problem["path"] == "study.code"
    assert "locked" in problem["message"]


def test_only_those_who_import_cohorts_import_odm(owner, reader_client):
    study = imported_study()
    text = body(api_client_of(owner).get(EXPORT))
    models.Patient.objects.all().delete()
    assert post_xml(reader_client, text).status_code == 403
    assert post_xml(APIClient(), text).status_code == 401
    assert not study.patients.exists()


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE ODM [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" FileOID="&lol4;"/>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE ODM [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" FileOID="&secret;"/>"""


@pytest.mark.parametrize("hostile", [BILLION_LAUGHS, EXTERNAL_ENTITY])
def test_entities_are_refused_with_a_400_before_they_are_expanded(editor_client, hostile):
    response = editor_client.post(IMPORT, hostile, content_type="application/xml")
    assert response.status_code == 400
    (problem,) = response.json()["problems"]
    assert "DOCTYPE" in problem["message"]
    assert "root:" not in response.content.decode()


def test_a_document_the_schema_refuses_is_a_400_naming_the_element_and_rule(editor_client):
    from tests.registry.test_odm_validity import SUBJECT, document

    bad = SUBJECT.format(key="P904").replace("<SiteRef", "<Height>180</Height><SiteRef")
    response = post_xml(editor_client, document(bad))
    assert response.status_code == 400
    found = response.json()
    assert found["detail"] == "1 problem(s) in the ODM document; nothing was imported"
    (problem,) = found["problems"]
    assert problem["path"] == 'ODM/ClinicalData/SubjectData[@SubjectKey="P904"]'
    assert "Not valid ODM 1.3.2: Unexpected child with tag 'Height'" in problem["message"]
    assert not models.Study.objects.exists()


def test_a_transactional_document_is_applied_to_the_study(owner):
    study = imported_study()
    since = timezone.now()
    patient = study.patients.get(subject_id="P01")
    patient.sex = "female"
    services.record_save(record=patient, user=None, reason="Corrected from the source")
    text = body(api_client_of(owner).get(EXPORT, {"since": since.isoformat()}))
    patient.sex = "male"
    services.record_save(record=patient, user=None, reason="Back as it was")
    response = post_xml(api_client_of(owner), text)
    assert response.status_code == 200, response.content
    assert (response.json()["created"], response.json()["changed"]) == (0, 1)
    assert study.patients.get(subject_id="P01").sex == "female"
    again = post_xml(api_client_of(owner), text.replace("P01", "P77"))
    assert again.status_code == 400
    (problem,) = again.json()["problems"]
    assert problem["path"] == 'SubjectData[@SubjectKey="P77"]'
    assert problem["message"] == "Update of patient P77: the study has no such patient"


def test_an_odm_document_over_its_limit_is_a_413_naming_the_limit(editor_client, settings):
    from tests.registry.test_odm_validity import SUBJECT, document

    text = document(SUBJECT.format(key="P1"))
    settings.ODM_IMPORT_MAX_BYTES = len(text.encode()) - 1
    response = post_xml(editor_client, text)
    assert response.status_code == 413
    assert response.json()["detail"] == (
        f"The document is larger than the limit of {len(text.encode()) - 1:,} bytes "
        "(ODM_IMPORT_MAX_BYTES); nothing was imported"
    )
    assert not models.Study.objects.exists()


def test_an_odm_document_is_held_to_its_own_limit_not_the_cohort_documents(
    owner, editor_client, settings
):
    imported_study()
    text = body(api_client_of(owner).get(EXPORT))
    for model in (models.Patient, models.Site, models.Study):
        model.objects.all().delete()
    settings.COHORT_IMPORT_MAX_BYTES = 1000
    response = post_xml(editor_client, text)
    assert response.status_code == 200, response.content
    assert response.json()["created"] == 20
