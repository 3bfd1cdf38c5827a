"""A locked study through the API: every write refused with the lock's message, import too."""

import json
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from registry import models, services
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("roles")]

PUBLISHED = Path(__file__).parents[1] / "data" / "hcd19-published-cohort.json"


def lock(study: models.Study) -> str:
    """Locks the study; the message a refused change gets."""
    services.study_lock(study=study)
    with pytest.raises(ValidationError) as refused:
        study.check_unlocked()
    return refused.value.messages[0]


def test_it_refuses_to_change_or_delete_a_record(editor_client):
    infusion = factories.InfusionFactory()
    message = lock(infusion.patient.study)
    url = f"/api/v1/infusions/{infusion.pk}/"

    changed = editor_client.patch(url, {"weight_kg": 61.0}, format="json")
    deleted = editor_client.delete(url)

    assert (changed.status_code, changed.json()) == (400, {"non_field_errors": [message]})
    assert (deleted.status_code, deleted.json()) == (400, {"non_field_errors": [message]})
    infusion.refresh_from_db()
    assert infusion.weight_kg == 60.0


def test_it_refuses_to_import_into_a_locked_study(editor_client):
    document = json.loads(PUBLISHED.read_text())
    study = factories.StudyFactory(code=document["study"]["code"])
    message = lock(study)

    response = editor_client.post("/api/v1/studies/import/", document, format="json")

    assert response.status_code == 400
    assert response.json()["problems"] == [{"path": "study.code", "message": message}]
    assert not models.Patient.objects.exists()
