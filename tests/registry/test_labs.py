"""Lab values, CAR-T counts and toxicity treatments in the model layer (cohort format 1.1):
the rules of registry.analytes and the course rules, in a clinician's words."""

from datetime import date

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from registry import models, services
from tests import factories
from tests.validation import errors_of

pytestmark = pytest.mark.django_db

REASON = "From the lab report"


@pytest.fixture
def patient(clinician) -> models.Patient:
    infusion = factories.InfusionFactory(date=date(2020, 1, 15))
    factories.LymphodepletionFactory(patient=infusion.patient)
    return infusion.patient


@pytest.fixture
def clinician(admin_user):
    return admin_user


def saved(record, user):
    services.record_save(record=record, user=user, reason=REASON)
    return record


def test_it_stores_a_value_as_entered_and_computes_with_it_converted(patient, clinician):
    # 1 mg/dL = 10 mg/L (cohort format 1.1, labs).
    crp = saved(models.LabResult(patient=patient, day=3, analyte="crp", value=1.2, unit="mg/dL"),
                clinician)  # fmt: skip

    stored = models.LabResult.objects.get(pk=crp.pk)
    assert (stored.value, stored.unit, stored.specimen) == (1.2, "mg/dL", "pb")
    assert stored.series_value == pytest.approx(12)


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"analyte": "il2"}, "analyte", "Unknown analyte 'il2'"),
        ({"unit": "mg/dL"}, "unit", "Unit mg/dL is not used for ANC; use 10^9/L or /uL"),
        ({"value": -1}, "value", "ANC cannot be negative"),
        ({"value": 1500}, "value", "ANC 1500 10^9/L is more than any patient has"),
        ({"specimen": "urine"}, "specimen", "Unknown specimen 'urine'"),
        ({"day": -31}, "day", "Day of a lab value (after the infusion) must be between -30"),
    ],
)
def test_it_refuses_a_lab_value_naming_what_is_wrong(patient, values, field, message):
    lab = models.LabResult(patient=patient, day=7, analyte="anc", value=0.4, unit="10^9/L")
    for name, value in values.items():
        setattr(lab, name, value)

    assert any(message in text for text in errors_of(lab)[field])


def test_it_accepts_a_baseline_value_a_month_before_the_infusion(patient, clinician):
    saved(factories.LabResultFactory.build(patient=patient, day=-30), clinician)

    assert patient.labs.get().day == -30


def test_it_refuses_a_second_value_of_an_analyte_in_a_specimen_on_one_day(patient, clinician):
    saved(factories.LabResultFactory.build(patient=patient, day=7), clinician)
    marrow = saved(factories.LabResultFactory.build(patient=patient, day=7, specimen="bm"),
                   clinician)  # fmt: skip
    again = factories.LabResultFactory.build(patient=patient, day=7, value=0.6)

    with pytest.raises(ValidationError) as caught:
        saved(again, clinician)

    assert marrow.pk is not None
    assert "ANC in peripheral blood on day 7 is entered twice" in str(caught.value)
    assert patient.labs.count() == 2


def test_it_takes_a_car_t_count_by_qpcr_alone_in_each_specimen(patient, clinician):
    blood = models.CarTCount(patient=patient, day=14, copies_per_ug_dna=42_000)
    marrow = models.CarTCount(patient=patient, day=14, cells_per_ul=3.0, specimen="bm")

    saved(blood, clinician), saved(marrow, clinician)

    assert patient.car_t_counts.count() == 2


def test_it_refuses_a_car_t_count_without_a_measurement(patient):
    count = models.CarTCount(patient=patient, day=14)

    assert errors_of(count)[NON_FIELD_ERRORS] == [
        "A CAR-T count needs cells/µL (flow cytometry) or copies/µg DNA (qPCR)"
    ]


def test_it_refuses_a_second_car_t_count_in_a_specimen_on_one_day(patient, clinician):
    saved(models.CarTCount(patient=patient, day=14, cells_per_ul=1.0, specimen="bm"), clinician)

    again = models.CarTCount(patient=patient, day=14, copies_per_ug_dna=10, specimen="bm")

    assert any("Day 14 is entered twice for the bone marrow" in text
               for text in errors_of(again)["day"])  # fmt: skip


def test_it_takes_two_doses_of_tocilizumab_on_one_day(patient, clinician):
    for _ in range(2):
        saved(models.ToxicityTreatment(patient=patient, day=3, treatment="tocilizumab",
                                       dose_mg=480), clinician)  # fmt: skip

    assert patient.toxicity_treatments.filter(day=3).count() == 2


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"treatment": "other"}, "description", "'other' needs a description"),
        ({"treatment": "emapalumab"}, "treatment", "Unknown treatment 'emapalumab'"),
        ({"dose_mg": -8}, "dose_mg", "A dose cannot be negative (-8 mg)"),
    ],
)
def test_it_refuses_a_toxicity_treatment_naming_what_is_wrong(patient, values, field, message):
    treatment = models.ToxicityTreatment(patient=patient, day=3, treatment="corticosteroid")
    for name, value in values.items():
        setattr(treatment, name, value)

    assert any(message in text for text in errors_of(treatment)[field])


def test_it_fills_in_the_recorded_treatments_from_the_dated_ones(patient, clinician):
    saved(models.ToxicityTreatment(patient=patient, day=2, treatment="tocilizumab"), clinician)

    record = saved(models.ToxicityRecord(patient=patient, crs_max_grade=2), clinician)

    assert (record.tocilizumab, record.corticosteroids, record.plasmapheresis) == (
        True,
        False,
        False,
    )


def test_it_refuses_a_recorded_treatment_the_dated_ones_contradict(patient, clinician):
    saved(models.ToxicityTreatment(patient=patient, day=2, treatment="tocilizumab"), clinician)

    record = models.ToxicityRecord(patient=patient, crs_max_grade=2, tocilizumab=False)

    assert errors_of(record)["tocilizumab"] == [
        "Tocilizumab: the toxicity treatments record a dose, so the recorded toxicities "
        "must say yes"
    ]


def test_it_refuses_a_dated_treatment_the_recorded_ones_deny(patient, clinician):
    saved(models.ToxicityRecord(patient=patient, crs_max_grade=2, corticosteroids=False),
          clinician)  # fmt: skip

    steroid = models.ToxicityTreatment(patient=patient, day=4, treatment="corticosteroid")

    assert errors_of(steroid)[NON_FIELD_ERRORS] == [
        "Corticosteroid: the toxicity treatments record a dose, so the recorded toxicities "
        "must say yes"
    ]


@pytest.mark.parametrize(
    ("diagnosed", "message"),
    [
        (date(2020, 1, 15), "Date of diagnosis must be before the infusion (2020-01-15)"),
        (date(2020, 2, 1), "Date of diagnosis must be before the infusion (2020-01-15)"),
    ],
)
def test_it_refuses_a_diagnosis_on_or_after_the_infusion(patient, diagnosed, message):
    patient.diagnosis_date = diagnosed

    assert errors_of(patient)["diagnosis_date"] == [message]


def test_it_refuses_a_prior_therapy_before_the_diagnosis(patient, clinician):
    patient.diagnosis_date = date(2018, 6, 1)
    saved(patient, clinician)

    therapy = models.PriorTherapy(patient=patient, kind="chemotherapy", date=date(2018, 5, 1))

    assert errors_of(therapy)["date"] == [
        "A prior therapy cannot be before the diagnosis (2018-06-01)"
    ]


def test_it_takes_a_prior_therapy_on_the_day_of_the_diagnosis(patient, clinician):
    patient.diagnosis_date = date(2018, 6, 1)
    patient.prior_therapies_complete = True
    saved(patient, clinician)

    saved(models.PriorTherapy(patient=patient, kind="chemotherapy", date=date(2018, 6, 1)),
          clinician)  # fmt: skip

    assert patient.prior_therapies.count() == 1


def test_it_refuses_an_icaht_grade_above_4(patient):
    record = models.ToxicityRecord(patient=patient, icaht_grade=5, iec_hs=True)

    assert errors_of(record)["icaht_grade"] == ["ICAHT grade must be between 0 and 4"]


def test_it_refuses_an_unknown_b_cell_aplasia_specimen():
    study = factories.StudyFactory.build(b_cell_aplasia_specimen="wb")

    assert errors_of(study)["b_cell_aplasia_specimen"] == [
        "B-cell aplasia specimen: 'wb' is not one of the allowed codes"
    ]
