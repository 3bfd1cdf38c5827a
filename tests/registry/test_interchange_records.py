"""A section's records in a cohort document are checked field by field
(registry.interchange.records): the refusals are still the model's own, at every record that
has them, in the order its full_clean() gives them."""

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Model

from registry import models
from registry.interchange.importer import cohort_import
from registry.interchange.reader import DocumentRejected
from tests.registry.test_interchange import cohort, patient

pytestmark = pytest.mark.django_db


def refusals(document: dict) -> list[tuple[str, str]]:
    with pytest.raises(DocumentRejected) as caught:
        cohort_import(data=document)
    return [(problem.path, problem.message) for problem in caught.value.problems]


def model_refusals(record: Model) -> list[tuple[str, str]]:
    """What the model's full_clean() says of `record`, by field, in its order."""
    with pytest.raises(ValidationError) as caught:
        record.full_clean(exclude=["patient"], validate_unique=False, validate_constraints=False)
    return [(key, message) for key, messages in caught.value.message_dict.items() for message in messages]  # fmt: skip


def test_it_refuses_a_bad_value_at_each_record_that_repeats_it():
    assessments = [
        {"day": day, "temperature_c": 50.0, "vasopressors": 11, "oxygen": "none"} for day in (2, 3)
    ]
    said = model_refusals(models.DailyAssessment(day=2, temperature_c=50.0, vasopressors=11))

    found = refusals(cohort(patient(daily_assessments=assessments)))

    for index in (0, 1):
        at = f"patients[0].daily_assessments[{index}]"
        assert [(f"{at}.{key}", message) for key, message in said] == [
            (path, message) for path, message in found if path.startswith(f"{at}.")
        ]
    assert {key for key, _message in said} == {"temperature_c", "vasopressors"}


def test_it_gives_a_records_field_and_clean_refusals_in_the_models_order():
    toxicities = {"crs_max_grade": 0, "icans_max_grade": 9, "crs_onset_day": 400}
    said = model_refusals(models.ToxicityRecord(**toxicities))

    found = refusals(cohort(patient(toxicities=toxicities)))

    at = "patients[0].toxicities."
    assert [
        (path.removeprefix(at), message) for path, message in found if path.startswith(at)
    ] == said
    # A field's own rule (the range of the onset day) and the rule between fields (an onset
    # needs a grade) are both said, as the model says them.
    assert [key for key, _message in said].count("crs_onset_day") == 2


def test_a_records_refusals_are_its_own_not_those_of_an_earlier_record_with_its_value():
    # Both records have an onset day out of range; only the first has no CRS grade, which
    # the rule between fields refuses.
    first = {"crs_max_grade": 0, "icans_max_grade": 0, "crs_onset_day": 400}
    second = {"crs_max_grade": 2, "icans_max_grade": 0, "crs_onset_day": 400}
    said = model_refusals(models.ToxicityRecord(**second))

    found = refusals(
        cohort(
            patient("P01", toxicities=first),
            patient("P02", toxicities=second),
            patient("P03", toxicities=second),
        )
    )

    for index in (1, 2):
        at = f"patients[{index}].toxicities."
        assert [
            (path.removeprefix(at), message) for path, message in found if path.startswith(at)
        ] == said


@pytest.mark.parametrize("sites", [[["cns"]], [{"site": "cns"}], ["cns", ["cns"]]])
def test_it_refuses_extramedullary_sites_that_are_not_codes(sites):
    document = patient()
    document["eligibility"]["extramedullary_sites"] = sites

    found = dict(refusals(cohort(document)))

    assert found["patients[0].eligibility.extramedullary_sites"].startswith(
        "Extramedullary sites must be a list of: "
    )
