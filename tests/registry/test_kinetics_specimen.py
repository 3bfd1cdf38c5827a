"""The study's CAR-T kinetics specimen (blood unless the study says otherwise): the model,
the cohort document (docs/cohort-format.md, "study"), the admin and the API's study."""

import pytest

from registry import models
from registry.interchange.exporter import cohort_document
from registry.interchange.importer import cohort_import
from tests import factories
from tests.registry.test_interchange import cohort, problems_of
from tests.registry.test_interchange_versions import version_1_1, with_labs
from tests.validation import errors_of

pytestmark = pytest.mark.django_db


def in_marrow(document: dict) -> dict:
    return document | {"study": document["study"] | {"car_t_kinetics_specimen": "bm"}}


def test_a_study_reads_the_kinetics_in_blood_unless_it_says_otherwise():
    assert factories.StudyFactory().car_t_kinetics_specimen == "pb"


def test_it_refuses_an_unknown_kinetics_specimen():
    study = factories.StudyFactory.build(car_t_kinetics_specimen="wb")

    assert errors_of(study)["car_t_kinetics_specimen"] == [
        "CAR-T kinetics specimen: 'wb' is not one of the allowed codes"
    ]


def test_it_gives_back_a_document_with_the_kinetics_in_marrow_as_it_was():
    document = in_marrow(version_1_1(with_labs()))
    cohort_import(data=document)

    study = models.Study.objects.get(code="HCD19")
    assert study.car_t_kinetics_specimen == "bm"
    assert cohort_document(study) == document


def test_it_leaves_the_default_specimen_out_of_the_document():
    cohort_import(data=version_1_1(with_labs()))

    assert "car_t_kinetics_specimen" not in cohort_document(models.Study.objects.get())["study"]


def test_a_document_without_the_setting_leaves_a_stored_study_s_as_it_is():
    cohort_import(data=in_marrow(version_1_1(with_labs())))
    cohort_import(data=version_1_1(with_labs()))

    assert models.Study.objects.get().car_t_kinetics_specimen == "bm"


def test_a_document_that_says_blood_sets_it_back():
    cohort_import(data=in_marrow(version_1_1(with_labs())))
    document = version_1_1(with_labs())
    document["study"]["car_t_kinetics_specimen"] = "pb"
    cohort_import(data=document)

    assert models.Study.objects.get().car_t_kinetics_specimen == "pb"


def test_it_refuses_an_unknown_specimen_at_its_path_and_writes_nothing():
    document = version_1_1(with_labs())
    document["study"]["car_t_kinetics_specimen"] = "blood"

    assert problems_of(document) == {
        "study.car_t_kinetics_specimen": "CAR-T kinetics specimen: 'blood' is not one of the "
        "allowed codes"
    }
    assert not models.Study.objects.exists()


def test_it_refuses_a_specimen_that_is_not_text():
    document = version_1_1(with_labs())
    document["study"]["car_t_kinetics_specimen"] = 1

    assert list(problems_of(document)) == ["study.car_t_kinetics_specimen"]


def test_a_version_1_document_may_not_say_it():
    assert problems_of(in_marrow(cohort())) == {
        "study.car_t_kinetics_specimen": "'car_t_kinetics_specimen' is a key of version 1.1, "
        "and this document says version 1"
    }


def test_the_admin_shows_it_beside_the_b_cell_aplasia_specimen(admin_client):
    study = factories.StudyFactory()

    page = admin_client.get(f"/admin/registry/study/{study.pk}/change/").content.decode()

    aplasia = page.index('name="b_cell_aplasia_specimen"')
    kinetics = page.index('name="car_t_kinetics_specimen"')
    assert aplasia < kinetics < page.index('name="min_cd19_blast_pct"')


def test_the_api_shows_the_study_s_kinetics_specimen(admin_client):
    factories.StudyFactory(car_t_kinetics_specimen="bm")

    study = admin_client.get("/api/v1/studies/HCD19/").json()

    assert study["car_t_kinetics_specimen"] == "bm"
