"""/api/v1/patients/{id}/casebook/, its verify/ and signature/, and
/api/v1/studies/{code}/completeness/: roles and sites enforced."""

import pytest
from django.db import connection

from registry import casebook
from registry.models import CasebookSignature, SectionStatus
from tests import factories
from tests.clients import api_client_of
from tests.conftest import PASSWORD
from tests.races import patient_deleted_after, patient_deleted_first
from tests.registry.test_casebook import complete_patient

pytestmark = pytest.mark.django_db


def casebook_of(patient) -> str:
    return f"/api/v1/patients/{patient.pk}/casebook/"


def test_it_shows_the_casebook(owner):
    patient = factories.PatientFactory()
    response = api_client_of(owner).get(casebook_of(patient))
    assert response.status_code == 200
    assert (response.data["required"], response.data["missing"]) == (6, 6)
    assert not response.data["signed"]
    infusions = next(s for s in response.data["sections"] if s["section"] == "infusions")
    assert infusions == {
        "section": "infusions",
        "status": "incomplete",
        "missing": ["dose (CAR-positive viable cells/kg)"],
        "verified_by": "",
        "verified_at": None,
    }


def test_a_monitor_verifies_a_section(teammate):
    patient = complete_patient()
    response = api_client_of(teammate).post(
        casebook_of(patient) + "verify/", {"section": "infusions"}, format="json"
    )
    assert response.status_code == 200, response.data
    infusions = next(s for s in response.data["sections"] if s["section"] == "infusions")
    assert (infusions["status"], infusions["verified_by"]) == ("verified", "teammate")


def test_verifying_an_incomplete_section_is_a_400_naming_it(teammate):
    patient = factories.PatientFactory()
    response = api_client_of(teammate).post(
        casebook_of(patient) + "verify/", {"section": "response_assessments"}, format="json"
    )
    assert response.status_code == 400
    assert response.data["section"] == [
        "Response assessments cannot be verified: response, MRD missing"
    ]


def test_an_unknown_section_is_a_400_naming_it(teammate):
    patient = complete_patient()
    client = api_client_of(teammate)
    unknown = client.post(casebook_of(patient) + "verify/", {"section": "visits"}, format="json")
    assert unknown.status_code == 400
    assert unknown.data == {"section": ["The course has no section “visits”"]}
    missing = client.post(casebook_of(patient) + "verify/", ["infusions"], format="json")
    assert missing.status_code == 400
    assert missing.data == {"section": ["Name the section to verify, e.g. infusions"]}


def test_a_coordinator_does_not_verify(owner):
    patient = complete_patient()
    response = api_client_of(owner).post(
        casebook_of(patient) + "verify/", {"section": "infusions"}, format="json"
    )
    assert response.status_code == 403


def test_an_investigator_signs_with_the_password(investigator):
    patient = complete_patient()
    answer = api_client_of(investigator).post(
        casebook_of(patient) + "signature/", {"password": PASSWORD}, format="json"
    )
    assert answer.status_code == 201, answer.data
    assert answer.data["signed"]
    assert answer.data["signatures"][0]["signed_by"] == "investigator"
    assert answer.data["signatures"][0]["meaning"] == (
        "I confirm the data of this casebook are complete and accurate"
    )


def test_a_wrong_password_is_a_400_naming_the_password(investigator):
    patient = complete_patient()
    answer = api_client_of(investigator).post(
        casebook_of(patient) + "signature/", {"password": "guess"}, format="json"
    )
    assert answer.status_code == 400
    assert answer.data == {"password": ["The password is not correct: sign with your own password"]}
    assert not CasebookSignature.objects.exists()


def test_a_missing_password_is_a_400(investigator):
    patient = complete_patient()
    answer = api_client_of(investigator).post(
        casebook_of(patient) + "signature/", {}, format="json"
    )
    assert answer.status_code == 400
    assert answer.data == {"password": ["Type your password to sign"]}


@pytest.mark.parametrize("who", ["owner", "teammate"])
def test_only_an_investigator_signs(request, who):
    patient = complete_patient()
    answer = api_client_of(request.getfixturevalue(who)).post(
        casebook_of(patient) + "signature/", {"password": PASSWORD}, format="json"
    )
    assert answer.status_code == 403


def test_an_outsider_finds_no_casebook(outsider):
    patient = complete_patient()
    client = api_client_of(outsider)
    assert client.get(casebook_of(patient)).status_code == 404
    verify = client.post(casebook_of(patient) + "verify/", {"section": "infusions"})
    assert verify.status_code == 404
    signing = client.post(casebook_of(patient) + "signature/", {"password": PASSWORD})
    assert signing.status_code == 404
    assert client.get("/api/v1/studies/HCD19/completeness/").status_code == 404


def test_a_clinician_of_another_site_finds_no_casebook(neighbour):
    patient = complete_patient()  # at BOREN; the neighbour works at PUMC
    assert api_client_of(neighbour).get(casebook_of(patient)).status_code == 404


def test_the_study_completeness_is_counted_over_the_users_sites(owner, neighbour):
    factories.PatientFactory(subject_id="B1")
    complete_patient()
    pumc = factories.SiteFactory(code="PUMC")
    factories.PatientFactory(subject_id="U1", site=pumc)
    answer = api_client_of(owner).get("/api/v1/studies/HCD19/completeness/")
    assert answer.status_code == 200
    assert [row["study_id"] for row in answer.data["results"]] == ["B1", "U1"]
    assert [(s["site"], s["patients"], s["missing"]) for s in answer.data["sites"]] == [
        ("BOREN", 2, 6),
        ("PUMC", 1, 6),
        ("All sites", 3, 12),
    ]
    theirs = api_client_of(neighbour).get("/api/v1/studies/HCD19/completeness/")
    assert [row["study_id"] for row in theirs.data["results"]] == ["U1"]
    assert [s["site"] for s in theirs.data["sites"]] == ["PUMC", "All sites"]
    refused = api_client_of(neighbour).get("/api/v1/studies/HCD19/completeness/?site=BOREN")
    assert refused.status_code == 400
    assert refused.data == {"site": ["No site 'BOREN' among yours: PUMC"]}


def test_the_patient_list_filters_by_signature_and_missing_data(owner, investigator):
    signed = complete_patient()
    factories.PatientFactory(subject_id="GAPS")
    api_client_of(investigator).post(
        casebook_of(signed) + "signature/", {"password": PASSWORD}, format="json"
    )
    client = api_client_of(owner)

    def found(query: str) -> list[str]:
        answer = client.get(f"/api/v1/patients/?{query}")
        assert answer.status_code == 200
        return [row["study_id"] for row in answer.json()["results"]]

    assert found("casebook_signed=true") == [signed.subject_id]
    assert found("casebook_signed=false") == ["GAPS"]
    assert found("missing_data=true") == ["GAPS"]
    assert found("missing_data=false") == [signed.subject_id]
    refused = client.get("/api/v1/patients/?casebook_signed=maybe")
    assert refused.status_code == 400


STEPS = pytest.mark.parametrize(
    ("step", "who", "path", "body"),
    [
        ("casebook_sign", "investigator", "signature/", {"password": PASSWORD}),
        ("section_verify", "teammate", "verify/", {"section": "infusions"}),
    ],
)


@STEPS
def test_a_step_on_a_patient_deleted_since_it_was_read_is_a_404_saying_so(
    request, monkeypatch, owner, step, who, path, body
):
    """Another user deletes the patient after the view read it: nothing is signed or
    verified, and the answer names the deletion, not a server error."""
    patient = complete_patient()
    client = api_client_of(request.getfixturevalue(who))
    patient_deleted_first(monkeypatch, casebook, step, patient, owner)

    answer = client.post(casebook_of(patient) + path, body, format="json")

    assert answer.status_code == 404
    assert answer.data["detail"].startswith("The patient was deleted by owner at ")
    assert answer.data["detail"].endswith(" before this could be done; nothing was saved")
    assert not CasebookSignature.objects.exists()
    assert not SectionStatus.objects.filter(verified_by__isnull=False).exists()


@STEPS
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite runs one writing transaction at a time: no deletion comes between",
)
def test_a_deletion_right_after_a_step_waits_for_the_step_s_answer(
    request, monkeypatch, owner, step, who, path, body
):
    """Another user deletes the patient the moment it is signed or verified: the deletion
    waits for the lock the step holds until its answer is read (it was a server error: the
    step done, the client told it failed)."""
    patient = complete_patient()
    client = api_client_of(request.getfixturevalue(who))
    deletion = patient_deleted_after(monkeypatch, casebook, step, patient, owner)

    answer = client.post(casebook_of(patient) + path, body, format="json")
    deletion.join()

    assert answer.status_code in (200, 201), answer.data
    assert answer.data["missing"] == 0
    assert not type(patient).objects.exists()
