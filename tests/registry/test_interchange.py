"""The cohort interchange format: import all or nothing, export, round trip, commands."""

import json
from copy import deepcopy
from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from analytics.models import AnalysisRow
from registry import models
from registry.interchange import importer
from registry.interchange.exporter import cohort_document, iter_cohort_json
from registry.interchange.importer import cohort_import
from registry.interchange.reader import DocumentRejected
from registry.signals import cohort_imported

pytestmark = pytest.mark.django_db


def patient(study_id: str = "P01", **changes) -> dict:
    document = {
        "study_id": study_id,
        "site": "BOREN",
        "sex": "male",
        "birth_date": "2000-05-01",
        "enrollment_date": "2019-12-20",
        "eligibility": {
            "cd19_blast_pct": 99.0,
            "bm_blast_pct": 45.0,
            "extramedullary_sites": ["cns"],
            "ecog": 1,
            "adequate_organ_function": True,
        },
        "genetics": {"bcr_abl1": False, "ph_like": True, "tp53_mutation": False},
        "prior_therapies": [
            {"kind": "murine_cd19_cart", "date": "2019-03-01", "best_response": "cr",
             "relapse_date": "2019-09-01"},
            {"kind": "allo_hct", "date": "2019-05-01"},
        ],
        "lymphodepletion": {"start_date": "2020-01-01", "fludarabine_mg_m2_per_day": 30.0,
                            "cyclophosphamide_mg_m2_per_day": 250.0, "days": 3},
        "infusions": [{"date": "2020-01-06", "product": "humanized_cd19", "weight_kg": 61.5,
                       "cells_per_kg": 240000, "lot": "L-17"}],
        "car_t_counts": [{"day": 7, "cells_per_ul": 5.2}, {"day": 28, "cells_per_ul": 0.0}],
        "toxicities": {"crs_max_grade": 1, "icans_max_grade": 0, "crs_onset_day": 2,
                       "tocilizumab": False, "corticosteroids": True, "plasmapheresis": False},
        "daily_assessments": [
            {"day": 2, "temperature_c": 38.4, "fever_masked": False, "hypotension": False,
             "vasopressors": 0, "vasopressin": False, "oxygen": "none", "ice_score": 10,
             "consciousness": "awake", "seizure": "none", "motor_weakness": "none",
             "cerebral_edema": "none"},
        ],
        "response_assessments": [{"day": 30, "status": "cr", "bm_blast_pct": 0.5,
                                  "mrd": "negative", "mrd_level": 0.00005, "mrd_method": "flow"}],
        "events": [
            {"kind": "allo_hct", "date": "2020-03-01"},
            {"kind": "relapse", "date": "2020-06-01", "cd19": "negative"},
            {"kind": "death", "date": "2020-08-01", "cause": "disease"},
        ],
        "last_contact_date": "2020-08-01",
    }  # fmt: skip
    document.update(changes)
    return document


def cohort(*patients: dict) -> dict:
    return {
        "format": "cart-cohort",
        "version": 1,
        "study": {"code": "HCD19", "title": "Humanized CD19 CAR-T", "data_cutoff": "2021-07-31"},
        "patients": list(patients) or [patient()],
    }


def problems_of(document: dict) -> dict[str, str]:
    with pytest.raises(DocumentRejected) as caught:
        cohort_import(data=document)
    return {problem.path: problem.message for problem in caught.value.problems}


def stored_rows() -> int:
    return sum(
        model.objects.count()
        for model in (models.Study, models.Site, models.Patient, models.FollowUpEvent,
                      models.Infusion, models.Eligibility, models.DailyAssessment)
    )  # fmt: skip


def test_it_imports_a_whole_patient():
    result = cohort_import(data=cohort(patient()))

    stored = models.Patient.objects.get(subject_id="P01")
    assert (result.created, result.updated) == (1, 0)
    assert stored.site.code == "BOREN" and stored.study.code == "HCD19"
    assert stored.infusions.get().total_cells == pytest.approx(61.5 * 240000)
    assert stored.events.count() == 3
    assert stored.eligibility.extramedullary_sites == ["cns"]


@pytest.mark.django_db(transaction=True)
def test_an_import_stands_whatever_a_receiver_of_its_signal_does(caplog):
    def failing(sender, **kwargs):
        raise RuntimeError("the cache is out of reach")

    heard = []
    cohort_imported.connect(failing, dispatch_uid="test-failing")
    cohort_imported.connect(lambda sender, study, **kwargs: heard.append(study.code), weak=False,
                            dispatch_uid="test-heard")  # fmt: skip
    try:
        cohort_import(data=cohort(patient(), patient("P02")))
    finally:
        cohort_imported.disconnect(dispatch_uid="test-failing")
        cohort_imported.disconnect(dispatch_uid="test-heard")
    assert models.Patient.objects.filter(study__code="HCD19").count() == 2
    assert heard == ["HCD19"]  # the receivers after the failing one heard it too
    assert "the cache is out of reach" in caplog.text
    # The analysis rows kept as the import committed, by the analytics' receiver.
    assert AnalysisRow.objects.filter(patient__study__code="HCD19").count() == 2


def test_it_gives_back_the_same_document():
    document = cohort(patient("P01"), patient("P02", sex="female"))
    cohort_import(data=document)

    exported = cohort_document(models.Study.objects.get(code="HCD19"))

    # Written as version 1.1, which means the same as version 1 where it uses no key of 1.1.
    assert exported == document | {"version": "1.1"}


def test_it_streams_the_same_document_it_builds():
    cohort_import(data=cohort(patient("P01"), patient("P02")))
    study = models.Study.objects.get()

    assert json.loads("".join(iter_cohort_json(study))) == cohort_document(study)


def test_it_updates_in_place_on_a_second_import():
    cohort_import(data=cohort(patient("P01"), patient("P02")))
    rows = stored_rows()

    result = cohort_import(data=cohort(patient("P01", sex="female"), patient("P02")))

    assert (result.created, result.updated) == (0, 2)
    assert stored_rows() == rows
    assert models.Patient.objects.get(subject_id="P01").sex == "female"


def test_it_writes_nothing_when_one_patient_is_wrong():
    wrong = patient("P02")
    wrong["events"][2]["date"] = "2020-01-03"

    problems = problems_of(cohort(patient("P01"), wrong))

    assert problems["patients[1].events[2].date"] == "death is before the infusion (2020-01-06)"
    assert all(path.startswith("patients[1].") for path in problems)
    assert stored_rows() == 0


BAD_VALUES = [
    ({"sex": "m"}, "patients[0].sex", "Sex: 'm' is not one of the allowed codes"),
    ({"birth_date": "2000-02-30"}, "patients[0].birth_date", "2000-02-30 is not a date: February 2000 has 29 days"),
    ({"birth_date": "yesterday"}, "patients[0].birth_date", "YYYY-MM-DD"),
    ({"birth_date": 20000501}, "patients[0].birth_date", "Must be a date (YYYY-MM-DD), not 20000501"),
    ({"nickname": "Bob"}, "patients[0].nickname", "Unknown key 'nickname'"),
    ({"genetics": {"bcr_abl1": "yes"}}, "patients[0].genetics.bcr_abl1", "Must be true or false"),
    ({"infusions": [{"date": "2020-01-06", "weight_kg": 60, "cells_per_kg": -5}]},
     "patients[0].infusions[0].cells_per_kg", "Dose cannot be negative"),
    ({"infusions": [{"date": "2020-01-06", "weight_kg": "60", "cells_per_kg": 5}]},
     "patients[0].infusions[0].weight_kg", "Must be a number, not '60'"),
    ({"infusions": []}, "patients[0].infusions", "At least one infusion is required"),
    ({"car_t_counts": {"day": 7}}, "patients[0].car_t_counts", "car_t_counts must be a list"),
    ({"events": [{"kind": "wedding", "date": "2020-03-01"}]}, "patients[0].events[0].kind",
     "Event: 'wedding' is not one of the allowed codes"),
    ({"eligibility": {"ecog": 7}}, "patients[0].eligibility.ecog", "ECOG must be between 0 and 4"),
    ({"eligibility": {"ecog": True}}, "patients[0].eligibility.ecog", "Must be a whole number"),
    ({"site": ""}, "patients[0].site", "site is required"),
]  # fmt: skip


@pytest.mark.parametrize(("changes", "path", "words"), BAD_VALUES)
def test_it_names_each_bad_value_by_its_path(changes, path, words):
    problems = problems_of(cohort(patient(**changes)))

    assert words in problems[path], problems
    assert stored_rows() == 0


def test_it_refuses_a_study_id_twice_in_one_document():
    problems = problems_of(cohort(patient("P01"), patient("P01")))

    assert problems["patients[1].study_id"] == "Study id 'P01' is already used by patients[0]"


def test_it_refuses_a_study_id_twice_in_one_document_in_another_case():
    problems = problems_of(cohort(patient("P01"), patient("p01")))

    assert problems["patients[1].study_id"] == (
        "Study id 'p01' is already used by patients[0] as 'P01': "
        "study ids differing only in upper and lower case count as the same"
    )
    assert stored_rows() == 0


def test_it_refuses_a_study_id_the_study_has_in_another_case():
    cohort_import(data=cohort(patient("P01")))
    before = stored_rows()

    problems = problems_of(cohort(patient("P02"), patient("p01")))

    assert problems == {
        "patients[1].study_id": "Study id 'p01' cannot be used: the study has 'P01', "
        "and study ids differing only in upper and lower case count as the same"
    }
    assert stored_rows() == before


@pytest.mark.parametrize(
    ("document", "path"),
    [
        ([], ""),
        ({**cohort(), "format": "csv"}, "format"),
        ({**cohort(), "version": 2}, "version"),
        ({**cohort(), "extra": 1}, "extra"),
        ({**cohort(), "study": "HCD19"}, "study"),
        ({**cohort(), "study": {"code": "bad code!", "title": "x"}}, "study.code"),
        ({**cohort(), "patients": {}}, "patients"),
        ({**cohort(), "patients": ["P01"]}, "patients[0]"),
    ],
)
def test_it_refuses_a_malformed_document(document, path):
    assert path in problems_of(deepcopy(document))


def test_it_keeps_registry_extension_keys_only_when_used(tmp_path):
    child = patient(birth_date="2012-01-01")
    child["daily_assessments"][0] |= {"ice_score": None, "capd_score": 4, "capd_unable": False}
    cohort_import(data=cohort(child))

    day = cohort_document(models.Study.objects.get())["patients"][0]["daily_assessments"][0]

    assert day["capd_score"] == 4 and "capd_unable" not in day and "ice_score" not in day


def test_the_commands_import_and_export_a_file(tmp_path, capsys):
    source, target = tmp_path / "in.json", tmp_path / "out.json"
    source.write_text(json.dumps(cohort()))

    call_command("import_cohort", str(source))
    call_command("export_cohort", "HCD19", "-o", str(target))

    assert json.loads(target.read_text()) == cohort() | {"version": "1.1"}
    assert "1 patient(s) created" in capsys.readouterr().out


def test_the_import_command_lists_problems_and_fails(tmp_path, capsys):
    source = tmp_path / "in.json"
    source.write_text(json.dumps(cohort(patient(sex="x"))))

    with pytest.raises(CommandError, match="1 problem"):
        call_command("import_cohort", str(source))

    assert "patients[0].sex: Sex: 'x' is not one of the allowed codes" in capsys.readouterr().err
    assert stored_rows() == 0


def test_the_import_command_refuses_a_file_that_is_not_json(tmp_path):
    source = tmp_path / "in.json"
    source.write_text("{not json")

    with pytest.raises(CommandError, match="is not valid JSON"):
        call_command("import_cohort", str(source))


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_the_import_command_refuses_a_number_json_does_not_allow(tmp_path, constant):
    # Python's reader takes them, JSON does not: a weight of NaN passes a range check.
    source = tmp_path / "in.json"
    source.write_text(json.dumps(cohort()).replace('"weight_kg": 61.5', f'"weight_kg": {constant}'))
    assert constant in source.read_text()

    with pytest.raises(CommandError, match=f"is not valid JSON: {constant} is not a number"):
        call_command("import_cohort", str(source))

    assert stored_rows() == 0


def test_the_import_command_refuses_a_file_nested_too_deep(tmp_path):
    source = tmp_path / "in.json"
    source.write_text("[" * 1000 + "]" * 1000)

    with pytest.raises(CommandError, match="nested more than 64 levels deep"):
        call_command("import_cohort", str(source))


def test_the_import_command_refuses_a_file_over_the_limit(tmp_path, settings):
    settings.COHORT_IMPORT_MAX_BYTES = 10
    source = tmp_path / "in.json"
    source.write_text(json.dumps(cohort()))

    with pytest.raises(CommandError, match="larger than the limit"):
        call_command("import_cohort", str(source))


@pytest.mark.parametrize(("threshold", "analysed"), [(15, True), (16, False)])
def test_it_analyses_the_tables_after_a_large_import(
    monkeypatch, django_capture_on_commit_callbacks, threshold, analysed
):
    monkeypatch.setattr(importer, "ANALYZE_AFTER", threshold)  # the patient and 14 section rows
    with CaptureQueriesContext(connection) as captured:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            cohort_import(data=cohort(patient()))
    assert (importer._analyze_written_tables in callbacks) == analysed
    statements = [query["sql"] for query in captured.captured_queries]
    analyses = [sql for sql in statements if sql.startswith("ANALYZE ")]
    assert len(analyses) == (analysed and connection.vendor == "postgresql")


def test_it_takes_last_contact_from_the_date_of_death():
    document = patient()
    del document["last_contact_date"]

    cohort_import(data=cohort(document))

    assert models.Patient.objects.get().last_contact_date == date(2020, 8, 1)


def test_it_refuses_last_contact_on_another_date_than_the_death():
    problems = problems_of(cohort(patient(last_contact_date="2020-09-01")))

    assert problems == {
        "patients[0].last_contact_date": "A death is recorded on 2020-08-01, so last contact "
        "is the date of death and moves with it: to change it, change the date of the death"
    }
    assert stored_rows() == 0


def test_it_says_once_per_section_what_a_wrong_death_date_makes_of_the_rest():
    document = patient()
    document["events"][2]["date"] = document["last_contact_date"] = "2020-01-05"
    document["daily_assessments"] = [
        dict(document["daily_assessments"][0], day=day) for day in (1, 2, 3)
    ]

    problems = problems_of(cohort(document))

    after = "would fall after the death (day -1, 2020-01-05)"
    assert problems == {
        "patients[0].events[2].date": "death is before the infusion (2020-01-06)",
        "patients[0].events": "2 follow-up events would fall after the death (2020-01-05)",
        "patients[0].car_t_counts": f"2 CAR-T counts {after}",
        "patients[0].daily_assessments": f"3 daily assessments {after}",
        "patients[0].response_assessments": f"1 response assessment {after}",
    }
    assert stored_rows() == 0
