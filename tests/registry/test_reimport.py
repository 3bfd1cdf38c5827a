"""Importing a cohort again: records matched by natural key and updated in place."""

import json

import pytest
from django.core.management import call_command

from registry import models
from registry.interchange.importer import cohort_import
from registry.sections import BY_KEY, course_models
from tests.registry.test_interchange import cohort, patient

pytestmark = pytest.mark.django_db

UNDATED = [{"kind": "chemotherapy"}, {"kind": "tki"}]


def stored() -> dict:
    """Every stored record: (model, id) → version."""
    return {
        (model.__name__, pk): version
        for model in course_models()
        for pk, version in model.objects.values_list("pk", "version")
    }


def history_rows() -> list:
    """Every history row of a patient or a section: (model, id, type, reason)."""
    return [
        (model.__name__, *row)
        for model in course_models()
        for row in model.history.values_list("id", "history_type", "history_change_reason")
    ]


def written_since(before: list) -> list:
    after = history_rows()
    for row in before:
        after.remove(row)
    return after


def records_of(study_id: str, section: str) -> dict:
    model = BY_KEY[section].model
    return dict(model.objects.filter(patient__subject_id=study_id).values_list("pk", "version"))


def test_it_leaves_an_unchanged_document_exactly_as_stored():
    document = cohort(patient("P01"), patient("P02", prior_therapies=UNDATED))
    cohort_import(data=document)
    records, history = stored(), history_rows()
    updated = dict(models.Patient.objects.values_list("subject_id", "updated"))

    result = cohort_import(data=document)

    assert stored() == records  # the same ids, at the same versions
    assert history_rows() == history
    assert models.Study.history.count() == 1
    assert dict(models.Patient.objects.values_list("subject_id", "updated")) == updated
    assert (result.created, result.changed, result.unchanged, result.updated) == (0, 0, 2, 2)
    assert (result.records.created, result.records.changed, result.records.deleted) == (0, 0, 0)
    assert result.records.unchanged == len(records) - 2  # all but the patients


def test_it_changes_only_the_record_that_differs_and_writes_one_history_row():
    cohort_import(data=cohort(patient("P01"), patient("P02")))
    records, history = stored(), history_rows()
    before = models.Patient.objects.get(subject_id="P02").updated
    changed = patient("P01")
    changed["infusions"][0]["lot"] = "L-18"
    infusion = models.Infusion.objects.get(patient__subject_id="P01")

    result = cohort_import(data=cohort(changed, patient("P02")))

    assert stored() == records | {("Infusion", infusion.pk): 2}
    assert written_since(history) == [("Infusion", infusion.pk, "~", "cohort import")]
    assert models.Infusion.objects.get(pk=infusion.pk).lot == "L-18"
    assert (result.created, result.changed, result.unchanged) == (0, 1, 1)
    assert (result.records.changed, result.records.created, result.records.deleted) == (1, 0, 0)
    # What the analytics keep for a patient goes by its `updated`: moved for P01 only.
    assert models.Patient.objects.get(subject_id="P02").updated == before
    assert models.Patient.objects.get(subject_id="P01").updated > before


def test_it_raises_the_version_of_a_patient_whose_own_values_differ():
    cohort_import(data=cohort(patient("P01")))
    records, history = stored(), history_rows()
    pk = models.Patient.objects.get().pk

    result = cohort_import(data=cohort(patient("P01", sex="female")))

    assert stored() == records | {("Patient", pk): 2}
    assert written_since(history) == [("Patient", pk, "~", "cohort import")]
    assert (result.changed, result.records.changed) == (1, 0)


def test_it_adds_and_deletes_dated_records_and_keeps_the_others():
    cohort_import(data=cohort(patient("P01")))
    counts = records_of("P01", "car_t_counts")
    day_7 = models.CarTCount.objects.get(day=7).pk
    day_28 = models.CarTCount.objects.get(day=28).pk
    history = history_rows()
    document = patient("P01", car_t_counts=[{"day": 7, "cells_per_ul": 5.2},
                                            {"day": 14, "cells_per_ul": 2.0}])  # fmt: skip

    result = cohort_import(data=cohort(document))

    day_14 = models.CarTCount.objects.get(day=14).pk
    assert records_of("P01", "car_t_counts") == {day_7: counts[day_7], day_14: 1}
    assert sorted(written_since(history)) == sorted(
        [("CarTCount", day_14, "+", "cohort import"), ("CarTCount", day_28, "-", "cohort import")]
    )
    assert (result.records.created, result.records.deleted, result.records.changed) == (1, 1, 0)


def test_it_moves_a_dated_record_and_what_the_patient_keeps_from_it():
    cohort_import(data=cohort(patient("P01")))
    earlier = models.Infusion.objects.get().pk
    history = history_rows()
    moved = patient("P01")
    moved["infusions"][0]["date"] = "2020-01-07"

    cohort_import(data=cohort(moved))

    infusion = models.Infusion.objects.get()
    assert sorted(written_since(history)) == sorted(
        [
            ("Infusion", earlier, "-", "cohort import"),
            ("Infusion", infusion.pk, "+", "cohort import"),
        ]
    )
    assert str(models.Patient.objects.get().first_infusion_date) == "2020-01-07"


def test_it_keeps_an_equal_list_of_undated_records_whatever_its_order():
    cohort_import(data=cohort(patient("P01", prior_therapies=UNDATED)))
    therapies = records_of("P01", "prior_therapies")
    history = history_rows()

    result = cohort_import(data=cohort(patient("P01", prior_therapies=UNDATED[::-1])))

    assert records_of("P01", "prior_therapies") == therapies
    assert history_rows() == history
    assert result.unchanged == 1


def test_it_replaces_a_list_of_undated_records_that_differs_as_a_whole():
    dated = patient("P01")["prior_therapies"]
    cohort_import(data=cohort(patient("P01", prior_therapies=[*dated, *UNDATED])))
    therapies = models.PriorTherapy.objects.values_list("pk", flat=True)
    kept, replaced = set(therapies.exclude(date=None)), set(therapies.filter(date=None))
    history = history_rows()

    changed = [*dated, UNDATED[0], {"kind": "other"}]
    result = cohort_import(data=cohort(patient("P01", prior_therapies=changed)))

    stored_ids = set(records_of("P01", "prior_therapies"))
    assert kept <= stored_ids and not replaced & stored_ids
    undated = models.PriorTherapy.objects.filter(date=None).values_list("kind", flat=True)
    assert sorted(undated) == ["chemotherapy", "other"]
    assert sorted(row[2] for row in written_since(history)) == ["+", "+", "-", "-"]
    assert (result.records.created, result.records.deleted, result.records.changed) == (2, 2, 0)


def test_it_compares_two_doses_on_one_day_as_a_list():
    doses = [
        {"date": "2020-01-06", "product": "humanized_cd19", "weight_kg": 61.5,
         "cells_per_kg": 100000, "lot": "L-17"},
        {"date": "2020-01-06", "product": "humanized_cd19", "weight_kg": 61.5,
         "cells_per_kg": 140000, "lot": "L-17"},
    ]  # fmt: skip
    cohort_import(data=cohort(patient("P01", infusions=doses)))
    infusions = records_of("P01", "infusions")

    cohort_import(data=cohort(patient("P01", infusions=doses[::-1])))

    assert records_of("P01", "infusions") == infusions


def test_the_import_command_says_what_a_second_import_changed(tmp_path, capsys):
    source = tmp_path / "in.json"
    source.write_text(json.dumps(cohort(patient("P01"), patient("P02"))))
    call_command("import_cohort", str(source))
    changed = patient("P02")
    changed["car_t_counts"][0]["cells_per_ul"] = 6.0
    source.write_text(json.dumps(cohort(patient("P01"), changed)))
    capsys.readouterr()

    call_command("import_cohort", str(source))

    assert capsys.readouterr().out == (
        "Imported study HCD19: 0 patient(s) created, 1 changed, 1 unchanged; records: "
        "0 created, 1 changed, 27 unchanged, 0 deleted\n"
    )


def test_it_changes_the_study_only_where_the_document_differs():
    cohort_import(data=cohort(patient("P01")))
    retitled = cohort(patient("P01"))
    retitled["study"]["title"] = "Humanized CD19 CAR-T, follow-up to 2022"

    cohort_import(data=retitled)

    study = models.Study.objects.get()
    assert study.title == "Humanized CD19 CAR-T, follow-up to 2022"
    assert [row.history_type for row in study.history.all()] == ["~", "+"]
