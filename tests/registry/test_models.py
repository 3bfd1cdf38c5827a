"""Validation in the model layer: ranges, codes, rules within a record, and the course rules."""

from datetime import date

import pytest
from django.core.exceptions import NON_FIELD_ERRORS
from django.db import IntegrityError, transaction

from registry import models
from registry.course import deletion_problems
from registry.models.patient import STUDY_ID_TAKEN
from tests import factories
from tests.validation import errors_of

pytestmark = pytest.mark.django_db


RANGES = [
    (
        models.Eligibility,
        "bm_blast_pct",
        101,
        "Marrow blasts must be a percentage between 0 and 100",
    ),
    (models.Eligibility, "cd19_blast_pct", -1, "CD19-positive blasts must be a percentage"),
    (models.Eligibility, "ecog", 5, "ECOG must be between 0 and 4"),
    (models.DailyAssessment, "ice_score", 11, "ICE score must be between 0 and 10"),
    (models.DailyAssessment, "capd_score", 33, "CAPD score must be between 0 and 32"),
    (models.DailyAssessment, "temperature_c", 46, "Temperature must be between 30 and 45"),
    (models.ToxicityRecord, "crs_max_grade", 6, "Maximum CRS grade (ASTCT grade) must be between"),
    (models.ToxicityRecord, "icans_max_grade", 6, "Maximum ICANS grade (ASTCT grade) must be"),
    (models.Lymphodepletion, "fludarabine_mg_m2_per_day", -30, "Fludarabine cannot be negative"),
    (models.CarTCount, "cells_per_ul", -0.5, "CAR-T count cannot be negative"),
    (models.ResponseAssessment, "mrd_level", 2, "MRD level (a fraction, e.g. 0.0001) must be"),
    (models.Infusion, "weight_kg", 0, "Weight in kg must be between 0.5 and 300"),
]


@pytest.mark.parametrize(("model", "field", "value", "message"), RANGES)
def test_it_refuses_values_out_of_range(model, field, value, message):
    instance = model(patient=factories.PatientFactory(), **{field: value})

    messages = errors_of(instance)[field]

    assert any(message in text for text in messages), messages


def test_it_names_an_unknown_code():
    event = models.FollowUpEvent(patient=factories.PatientFactory(), kind="abduction")

    assert "Event: 'abduction' is not one of the allowed codes" in errors_of(event)["kind"]


WITHIN_A_RECORD = [
    (models.FollowUpEvent, {"kind": "relapse"}, "cd19", "needs its CD19 status"),
    (models.FollowUpEvent, {"kind": "death"}, "cause", "needs its cause"),
    (models.FollowUpEvent, {"kind": "allo_hct", "cd19": "positive"}, "cd19", "only with a relapse"),
    (models.FollowUpEvent, {"kind": "relapse", "cd19": "positive", "cause": "crs"}, "cause", "only"),
    (models.FollowUpEvent, {"kind": "relapse", "cd19": "unknown", "description": "x"}, "description", ""),
    (models.ResponseAssessment, {"status": "cr", "bm_blast_pct": 5}, "bm_blast_pct", "fewer than 5%"),
    (models.ResponseAssessment, {"status": "nr", "mrd": "negative", "mrd_level": 0.001}, "mrd_level", "below 0.0001"),
    (models.ResponseAssessment, {"status": "nr", "mrd": "positive", "mrd_level": 0.00005}, "mrd_level", "is MRD-negative"),
    (models.PriorTherapy, {"kind": "allo_hct", "best_response": "cr"}, "best_response", "earlier CAR-T"),
    (models.PriorTherapy, {"kind": "cd22_cart", "best_response": "nr", "relapse_date": date(2019, 5, 1)}, "relapse_date", "complete remission"),
    (models.PriorTherapy, {"kind": "cd22_cart", "date": date(2019, 5, 1), "best_response": "cr", "relapse_date": date(2019, 5, 1)}, "relapse_date", "after the therapy"),
    (models.ToxicityRecord, {"crs_max_grade": 0, "crs_onset_day": 2}, "crs_onset_day", "grade of 1 or more"),
    (models.DailyAssessment, {"day": 3, "capd_unable": True, "capd_score": 4}, "capd_score", "could not be performed"),
    (models.Eligibility, {"extramedullary_sites": ["cns", "moon"]}, "extramedullary_sites", "must be a list of"),
    (models.Eligibility, {"extramedullary_sites": ["cns", "cns"]}, "extramedullary_sites", "repeated"),
    (models.Eligibility, {"extramedullary_sites": [["cns"]]}, "extramedullary_sites", "must be a list of"),
]  # fmt: skip


@pytest.mark.parametrize(("model", "values", "field", "words"), WITHIN_A_RECORD)
def test_it_checks_the_fields_of_a_record_together(model, values, field, words):
    record = model(patient=factories.PatientFactory(), **values)

    messages = errors_of(record)[field]

    assert any(words in text for text in messages), messages


def infused_patient(**fields) -> models.Patient:
    patient = factories.PatientFactory(**fields)
    factories.LymphodepletionFactory(patient=patient)
    factories.InfusionFactory(patient=patient)
    return patient


def test_it_refuses_a_death_before_the_infusion():
    patient = infused_patient()
    death = models.FollowUpEvent(
        patient=patient, kind="death", date=date(2020, 1, 6), cause="disease"
    )

    assert errors_of(death)["date"] == ["death is before the infusion (2020-01-15)"]


@pytest.mark.parametrize("day", [date(2020, 1, 10), date(2020, 1, 11), date(2020, 1, 12)])
def test_it_refuses_an_infusion_during_lymphodepletion(day):
    patient = infused_patient()
    infusion = patient.infusions.get()
    infusion.date = day

    assert errors_of(infusion)["date"] == [
        "Infusion date must be after the last day of lymphodepletion "
        "(2020-01-12; 3 days from 2020-01-10)"
    ]


def test_it_refuses_an_infusion_when_lymphodepletion_is_lengthened_over_it():
    patient = infused_patient()
    lymphodepletion = patient.lymphodepletion
    lymphodepletion.days = 6

    assert errors_of(lymphodepletion)[NON_FIELD_ERRORS] == [
        "Infusion date must be after the last day of lymphodepletion "
        "(2020-01-15; 6 days from 2020-01-10)"
    ]


def test_it_accepts_an_infusion_the_day_after_lymphodepletion():
    patient = infused_patient()
    infusion = patient.infusions.get()
    infusion.date = date(2020, 1, 13)

    infusion.full_clean()


def test_it_takes_a_relapse_after_a_transplant_with_no_best_response():
    # Found walking the pages: the relapse needed a best response, which only a CAR-T has.
    patient = factories.PatientFactory()
    transplant = models.PriorTherapy(
        patient=patient, kind="allo_hct", date=date(2017, 10, 1), relapse_date=date(2018, 3, 1)
    )

    transplant.full_clean()


def test_it_refuses_a_dose_above_the_ceiling_after_a_transplant():
    patient = factories.PatientFactory()
    factories.PriorTherapyFactory(
        patient=patient, kind="allo_hct", best_response="", relapse_date=None
    )
    infusion = models.Infusion(
        patient=patient, date=date(2020, 1, 15), weight_kg=60, cells_per_kg=600_000
    )

    assert "ceiling of 500,000 cells/kg" in errors_of(infusion)["cells_per_kg"][0]


def test_it_follows_the_studys_own_dose_ceiling():
    patient = factories.PatientFactory()
    models.Study.objects.filter(pk=patient.study_id).update(dose_ceiling_per_kg=100_000)
    patient.refresh_from_db()
    infusion = models.Infusion(
        patient=patient, date=date(2020, 1, 15), weight_kg=60, cells_per_kg=200_000
    )

    assert "ceiling of 100,000 cells/kg" in errors_of(infusion)["cells_per_kg"][0]


def test_it_refuses_a_relapse_without_an_earlier_response():
    patient = infused_patient()
    factories.ResponseAssessmentFactory(
        patient=patient, day=30, status="nr", bm_blast_pct=40, mrd="positive"
    )
    relapse = models.FollowUpEvent(
        patient=patient, kind="relapse", date=date(2020, 6, 1), cd19="positive"
    )

    assert errors_of(relapse)["kind"] == [
        "A relapse needs an earlier response assessment of CR or CRi"
    ]


def test_it_refuses_a_second_death():
    patient = infused_patient(last_contact_date=date(2020, 5, 1))
    factories.FollowUpEventFactory(
        patient=patient, kind="death", date=date(2020, 5, 1), cause="disease"
    )
    second = models.FollowUpEvent(patient=patient, kind="death", date=date(2020, 5, 1), cause="crs")

    assert errors_of(second)["kind"] == ["A patient can die only once; remove the second death"]


def test_it_reports_a_record_made_wrong_by_a_new_one_on_the_form():
    patient = infused_patient(last_contact_date=date(2020, 5, 1))
    factories.ResponseAssessmentFactory(patient=patient, day=60)
    death = models.FollowUpEvent(
        patient=patient, kind="death", date=date(2020, 3, 1), cause="disease"
    )

    errors = errors_of(death)

    assert errors == {
        "date": ["1 response assessment would fall after the death (day 46, 2020-03-01)"]
    }


def test_it_refuses_last_contact_before_the_last_event():
    patient = infused_patient()
    factories.FollowUpEventFactory(patient=patient, date=date(2020, 3, 1))
    patient.last_contact_date = date(2020, 2, 1)

    assert errors_of(patient)["last_contact_date"] == [
        "Last contact cannot be before the last recorded event (2020-03-01)"
    ]


def test_it_lets_unrelated_edits_through_on_a_course_that_was_already_wrong():
    patient = infused_patient()
    models.FollowUpEvent.objects.create(patient=patient, kind="allo_hct", date=date(2019, 1, 1))
    count = factories.CarTCountFactory.build(patient=patient, day=10)

    count.full_clean()


def test_it_refuses_a_site_of_another_study():
    patient = factories.PatientFactory()
    other = factories.SiteFactory(study=factories.StudyFactory(code="OTHER"), code="X")
    patient.site = other

    assert errors_of(patient)["site"] == ["The site must belong to the patient's study"]


def test_it_refuses_a_study_id_used_twice_in_a_study():
    patient = factories.PatientFactory(subject_id="P01")
    twin = models.Patient(study=patient.study, site=patient.site, subject_id="P01")

    assert errors_of(twin)["__all__"] == [STUDY_ID_TAKEN]


def study_id_taken() -> str:
    constraint = next(
        c for c in models.Patient._meta.constraints if c.name == "patient_study_id_unique_in_study"
    )
    return constraint.violation_error_message


def test_it_refuses_a_study_id_differing_only_in_case():
    patient = factories.PatientFactory(subject_id="DEMO-061")
    twin = models.Patient(study=patient.study, site=patient.site, subject_id="demo-061")

    assert errors_of(twin)["__all__"] == [study_id_taken()]


def test_the_database_refuses_a_study_id_differing_only_in_case():
    patient = factories.PatientFactory(subject_id="DEMO-061")

    with pytest.raises(IntegrityError), transaction.atomic():
        models.Patient.objects.create(study=patient.study, site=patient.site, subject_id="Demo-061")
    assert models.Patient.objects.count() == 1


def test_it_allows_the_same_study_id_in_another_study():
    factories.PatientFactory(subject_id="DEMO-061")
    other = factories.SiteFactory(study=factories.StudyFactory(code="OTHER"), code="X")

    models.Patient(study=other.study, site=other, subject_id="demo-061").full_clean()


def test_it_derives_total_cells_from_weight():
    infusion = models.Infusion(weight_kg=50, cells_per_kg=240_000)

    assert infusion.total_cells == 12_000_000


def test_it_computes_age_in_completed_years_at_infusion():
    patient = infused_patient(birth_date=date(2000, 1, 16))

    assert patient.age_years == 19


def test_it_flags_a_recorded_grade_that_differs_from_the_computed_one():
    patient = infused_patient()
    factories.DailyAssessmentFactory(patient=patient, day=1, temperature_c=38.6, vasopressors=1)
    models.ToxicityRecord.objects.create(patient=patient, crs_max_grade=1, icans_max_grade=0)

    assert patient.grade_discrepancies() == [
        "CRS: recorded grade 1, computed grade 3 (grade 3: one vasopressor)"
    ]


def test_it_checks_a_new_patient_before_it_is_saved():
    site = factories.SiteFactory()
    patient = models.Patient(
        study=site.study,
        site=site,
        subject_id="NEW",
        birth_date=date(2020, 2, 1),
        enrollment_date=date(2020, 1, 2),
    )

    assert errors_of(patient)["birth_date"] == [
        "Date of birth must be before enrolment (2020-01-02)"
    ]


def test_it_names_what_deleting_a_record_would_break():
    patient = infused_patient()
    response = factories.ResponseAssessmentFactory(patient=patient, day=30)
    factories.FollowUpEventFactory(
        patient=patient, kind="relapse", cd19="positive", date=date(2020, 6, 1)
    )

    assert [problem.messages[0] for problem in deletion_problems(response)] == [
        "A relapse needs an earlier response assessment of CR or CRi"
    ]


def test_it_lets_a_record_nothing_depends_on_be_deleted():
    patient = infused_patient()
    count = factories.CarTCountFactory(patient=patient)

    assert deletion_problems(count) == []
    assert deletion_problems(patient.lymphodepletion) == []


def test_a_day_refused_on_its_own_is_not_refused_again_by_the_course():
    # Found walking the pages: day 5000 was also "later than the latest day that can be
    # recorded", beside its own range.
    assessment = factories.DailyAssessmentFactory.build(patient=infused_patient(), day=5000)

    assert errors_of(assessment) == {"day": ["Day after infusion must be between 0 and 365"]}


def test_it_refuses_a_study_code_in_another_case_of_one_stored():
    factories.StudyFactory(code="HCD19")

    assert errors_of(models.Study(code="hcd19", title="Again")) == {
        "__all__": [
            "There is already a study with this code in another case: study codes differing "
            "only in upper and lower case count as the same"
        ]
    }
