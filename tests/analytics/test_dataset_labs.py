"""The analysis dataset's lab columns (issue #18): qPCR kinetics, neutrophil ICAHT, B-cell
aplasia and the cytokine peaks of each patient, worked by hand from the rules they cite
(registry.icaht and registry.biomarkers state the rules, their sources and the registry's
choices)."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from analytics.dataset import ICAHT, LABS, analysis_rows, study_patients
from analytics.dataset.records import read_sections
from registry import models
from tests import factories
from tests.analytics.conftest import lab_value
from tests.analytics.test_dataset import row_of

pytestmark = pytest.mark.django_db

INFUSED = date(2021, 7, 10)  # the study's cut-off, 2021-07-31, is day 21


def on_day(day: int) -> date:
    return INFUSED + timedelta(days=day)


@pytest.fixture
def patient(reader) -> models.Patient:
    patient = factories.PatientFactory(subject_id="L01", last_contact_date=date(2022, 1, 1))
    factories.InfusionFactory(patient=patient, date=INFUSED)
    return patient


def labs(patient: models.Patient, analyte: str, unit: str, values, specimen: str = "pb") -> None:
    """(day, value) pairs; a value given as ("<", limit) is below detection at that limit."""
    for day, value in values:
        lab_value(patient, day, analyte, value, unit, specimen)


def event(patient: models.Patient, kind: str, day: int) -> None:
    factories.FollowUpEventFactory(patient=patient, kind=kind, date=on_day(day))


def columns(row: dict, *names: str) -> tuple:
    return tuple(row[name] for name in names)


def test_a_patient_without_lab_values_has_none_of_the_lab_columns(patient):
    row = row_of(patient)
    assert columns(row, "icaht_early_grade", "bca_start_day", "il6_peak_pg_ml") == (None,) * 3
    assert (row["bca_ongoing"], row["bca_recovery_discrepancy"], row["lab_last_day"]) == (
        None,
        None,
        None,
    )


# Early ICAHT ------------------------------------------------------------------------------


def test_an_anc_entered_per_microlitre_is_converted_before_grading(patient):
    # Rules "ICAHT", early: severe is ANC ≤500/µL. Entered in /µL: 300 on days 0, 3 and 6,
    # 600 on day 7; then 1.2 x10^9/L on days 14, 21 and 28. Days 1-2 and 4-5 are
    # interpolated at 300 (registry.icaht), so ANC ≤500/µL on days 0-6: 7 days, grade 2.
    # Read as 300 x10^9/L unconverted, the patient would never be neutropenic (grade 0).
    labs(patient, "anc", "/uL", [(0, 300), (3, 300), (6, 300), (7, 600)])
    labs(patient, "anc", "10^9/L", [(14, 1.2), (21, 1.2), (28, 1.2)])
    assert row_of(patient)["icaht_early_grade"] == 2


def test_a_recovery_of_two_days_does_not_end_the_episode(patient):
    # Rules "ICAHT", early: a recovery of fewer than 3 days between two low values does
    # not end the episode. Daily ANC 0.2 on days 0-4, 0.8 on days 5-6 (two days), 0.2 on
    # days 7-10, then 1.5 weekly: one episode of days 0-10, 11 days ≤500/µL, grade 2.
    # Ended by the recovery, the longest would be days 7-10 or 0-4, 5 days: grade 1.
    daily = [(day, 0.2) for day in range(0, 5)] + [(5, 0.8), (6, 0.8)]
    daily += [(day, 0.2) for day in range(7, 11)] + [(11, 1.5), (18, 1.5), (25, 1.5), (30, 1.5)]
    labs(patient, "anc", "10^9/L", daily)
    assert row_of(patient)["icaht_early_grade"] == 2


def test_a_sparse_series_leaves_long_gaps_unknown(patient):
    # Rules "ICAHT", registry.icaht: a gap of more than 7 days is neither low nor
    # recovered. ANC 0.05 x10^9/L (50/µL) on days 0 and 20 only: the 19 days between are
    # over 7, so not interpolated, and the 10 days from day 20 to day 30 are over 7, so
    # not held. Two episodes of one day each: severe for 1 day, grade 1 (not the grade 4
    # of "never above 500/µL", which needs every day known).
    labs(patient, "anc", "10^9/L", [(0, 0.05), (20, 0.05)])
    assert row_of(patient)["icaht_early_grade"] == 1


def test_the_recorded_early_grade_is_compared_with_the_computed_one(patient):
    labs(patient, "anc", "10^9/L", [(0, 0.3), (3, 0.3), (6, 0.3), (7, 0.6), (14, 1.2)])
    labs(patient, "anc", "10^9/L", [(21, 1.2), (28, 1.2)])
    record = models.ToxicityRecord.objects.create(patient=patient, icaht_grade=2)
    row = row_of(patient)
    assert (row["icaht_grade_recorded"], row["icaht_discrepancy"]) == (2, False)
    record.icaht_grade = 3
    record.save()
    assert row_of(patient)["icaht_discrepancy"] is True


# Late ICAHT -------------------------------------------------------------------------------

LATE_ANC = [(40, 0.8), (50, 0.9), (70, 0.3), (80, 0.2)]


def test_late_icaht_reads_days_31_to_100(patient):
    # Rules "ICAHT", late: the lowest ANC confirmed by two measurements: ≤500/µL on days
    # 70 and 80, grade 3.
    labs(patient, "anc", "10^9/L", LATE_ANC)
    assert row_of(patient)["icaht_late_grade"] == 3


def test_late_icaht_is_censored_at_relapse(patient):
    # A relapse on day 60 leaves out days 70 and 80: ≤1000/µL on days 40 and 50, grade 2.
    labs(patient, "anc", "10^9/L", LATE_ANC)
    event(patient, "relapse", 60)
    assert row_of(patient)["icaht_late_grade"] == 2


def test_late_icaht_is_censored_at_the_next_therapy(patient):
    labs(patient, "anc", "10^9/L", LATE_ANC)
    event(patient, "other_therapy", 45)
    # Only day 40 (≤1000/µL), the last value of the window: not followed by recovery,
    # grade 2.
    assert row_of(patient)["icaht_late_grade"] == 2


# B-cell aplasia ---------------------------------------------------------------------------

B_CELLS = [(14, 0.5), (28, 0.2), (60, 0.1), (90, 5.0)]


def test_b_cell_aplasia_runs_from_the_first_low_value_to_recovery(patient):
    # Rules "Biomarkers": below the study's 3% in marrow from day 14; the first later value
    # at or above it, day 90, is the recovery: 76 days. Blood values are another specimen.
    labs(patient, "b_cells_pct", "%", B_CELLS, specimen="bm")
    labs(patient, "b_cells_pct", "%", [(7, 10.0)])
    row = row_of(patient)
    names = ("bca_start_day", "bca_recovery_day", "bca_duration_days", "bca_ongoing")
    assert columns(row, *names) == (14, 90, 76, False)
    assert row["bca_recovery_event"] is True


def test_an_allo_hct_censors_b_cell_aplasia(patient):
    # A transplant on day 45 ends the CAR-T's own aplasia: from day 14, censored at day
    # 45, 31 days, not recovered and not ongoing.
    labs(patient, "b_cells_pct", "%", B_CELLS, specimen="bm")
    event(patient, "allo_hct", 45)
    row = row_of(patient)
    names = ("bca_start_day", "bca_recovery_day", "bca_duration_days", "bca_ongoing")
    assert columns(row, *names) == (14, None, 31, False)
    assert row["bca_recovery_event"] is False


def test_an_aplasia_still_there_at_the_last_value_is_ongoing(patient):
    labs(patient, "b_cells_pct", "%", B_CELLS[:3], specimen="bm")
    row = row_of(patient)
    # From day 14 to the last value, day 60: 46 days, censored.
    assert columns(row, "bca_duration_days", "bca_ongoing", "bca_recovery_event") == (
        46,
        True,
        False,
    )


@pytest.mark.parametrize(
    "recorded_day, discrepancy",
    [
        # Recovery seen on day 90, the value before it on day 60: 30 days' allowance.
        (100, False),
        (120, False),
        (121, True),
        (59, True),
    ],
)
def test_a_recorded_b_cell_recovery_is_compared_with_the_values(patient, recorded_day, discrepancy):
    labs(patient, "b_cells_pct", "%", B_CELLS, specimen="bm")
    event(patient, "b_cell_recovery", recorded_day)
    assert row_of(patient)["bca_recovery_discrepancy"] is discrepancy


def test_the_study_setting_chooses_the_specimen_and_restamps_the_rows(patient):
    labs(patient, "b_cells_pct", "%", B_CELLS, specimen="bm")
    labs(patient, "b_cells_pct", "%", [(7, 1.0), (30, 4.0)])
    assert row_of(patient)["bca_start_day"] == 14
    study = patient.study
    study.b_cell_aplasia_specimen = "pb"
    study.save()
    # In blood: below 3% on day 7, recovered on day 30.
    row = row_of(patient)
    assert columns(row, "bca_start_day", "bca_recovery_day", "bca_duration_days") == (7, 30, 23)


# Cytokine and inflammation peaks ----------------------------------------------------------


def test_the_peak_baseline_and_fold_change_of_il6(patient):
    # Rules "Biomarkers": the peak in days 0-30 (420 on day 5; the 999 of day 40 is outside),
    # the baseline the last value on or before day 0 (5, day -3), fold change 420/5 = 84.
    labs(
        patient, "il6", "pg/mL", [(-3, 5.0), (2, 150.0), (5, 420.0), (10, ("<", 2.0)), (40, 999.0)]
    )
    names = ("il6_peak_pg_ml", "il6_peak_day", "il6_baseline_pg_ml", "il6_fold_change")
    assert columns(row_of(patient), *names) == (420.0, 5, 5.0, 84.0)


def test_a_series_all_below_detection_peaks_at_zero_on_no_day(patient):
    # Below detection counts as 0: the baseline is 0, so no fold change is meaningful.
    labs(patient, "ifng", "pg/mL", [(0, ("<", 1.0)), (3, ("<", 1.0))])
    names = ("ifng_peak_pg_ml", "ifng_peak_day", "ifng_baseline_pg_ml", "ifng_fold_change")
    assert columns(row_of(patient), *names) == (0.0, None, 0.0, None)


def test_a_crp_entered_in_mg_per_dl_is_converted_to_mg_per_l(patient):
    # 1 mg/dL = 10 mg/L (registry.analytes): 0.5 and 12 mg/dL are 5 and 120 mg/L.
    labs(patient, "crp", "mg/dL", [(0, 0.5), (3, 12.0)])
    labs(patient, "ferritin", "ug/L", [(0, 400.0), (6, 2400.0)])
    row = row_of(patient)
    assert columns(
        row, "crp_peak_mg_l", "crp_peak_day", "crp_baseline_mg_l", "crp_fold_change"
    ) == (
        120.0,
        3,
        5.0,
        24.0,
    )
    assert columns(row, "ferritin_peak_ng_ml", "ferritin_fold_change") == (2400.0, 6.0)


# qPCR kinetics ----------------------------------------------------------------------------


def test_the_qpcr_series_has_its_own_kinetics(patient):
    # Copies/µg DNA: 0 on day 0, 1e4 on day 7, 5e4 on day 14, 2e3 on day 28, 0 on day 60.
    # AUC0-28, linear trapezoid: 7*(0+1e4)/2 + 7*(1e4+5e4)/2 + 14*(5e4+2e3)/2
    # = 35,000 + 210,000 + 364,000 = 609,000. Flow counts on days 7 and 14 are the other
    # series: their Cmax is theirs.
    flow = {7: 3.0, 14: 1.0}
    for day, copies in ((0, 0.0), (7, 1e4), (14, 5e4), (28, 2e3), (60, 0.0)):
        factories.CarTCountFactory(
            patient=patient, day=day, cells_per_ul=flow.get(day), copies_per_ug_dna=copies
        )
    factories.CarTCountFactory(patient=patient, day=21, copies_per_ug_dna=9e9, specimen="bm")
    row = row_of(patient)
    names = (
        "car_t_cmax_copies_per_ug",
        "car_t_tmax_day_qpcr",
        "car_t_auc_0_28_qpcr",
        "car_t_persistence_days_qpcr",
    )
    assert columns(row, *names) == (5e4, 14, 609_000.0, 28)
    assert (row["car_t_cmax_cells_per_ul"], row["car_t_tmax_day"]) == (3.0, 7)


# Through the API, and at the clinical cut-off ---------------------------------------------


def test_the_dataset_serves_the_lab_columns_and_hides_labs_after_the_cutoff(analytics, patient):
    labs(patient, "b_cells_pct", "%", B_CELLS, specimen="bm")
    labs(patient, "il6", "pg/mL", [(0, 10.0), (7, 300.0), (25, 900.0)])

    def row(**params) -> dict:
        response = analytics("dataset", **params)
        assert response.status_code == 200, response.content
        (found,) = response.json()["results"]
        return found

    everything = row(cutoff="none")
    assert columns(everything, "bca_recovery_day", "bca_duration_days", "il6_peak_pg_ml") == (
        90,
        76,
        900.0,
    )
    assert everything["lab_last_day"] == 90
    # The study's cut-off is day 21: B cells only on day 14 (aplasia from it, ongoing at
    # it, 0 days), the IL-6 of day 25 not yet known: the peak is 300 on day 7.
    cut = row()
    assert columns(cut, "bca_start_day", "bca_recovery_day", "bca_duration_days") == (14, None, 0)
    assert cut["bca_ongoing"] is True
    assert columns(cut, "il6_peak_pg_ml", "il6_peak_day", "il6_fold_change") == (300.0, 7, 30.0)
    assert cut["lab_last_day"] == 14


def test_an_allo_hct_after_the_cutoff_does_not_censor_at_it(analytics, patient):
    labs(patient, "b_cells_pct", "%", [(7, 0.5), (14, 0.4)], specimen="bm")
    event(patient, "allo_hct", 45)
    (cut,) = analytics("dataset").json()["results"]
    # Known at day 21: aplasia from day 7, ongoing at day 14 (7 days), no transplant yet.
    assert columns(cut, "bca_duration_days", "bca_ongoing", "bca_recovery_event") == (
        7,
        True,
        False,
    )
    (everything,) = analytics("dataset", cutoff="none").json()["results"]
    assert columns(everything, "bca_duration_days", "bca_ongoing") == (38, False)


def test_as_recorded_on_a_day_the_lab_columns_read_the_audit_trail(patient):
    labs(patient, "il6", "pg/mL", [(0, 10.0), (5, 420.0)])
    today = timezone.localdate()
    (row,) = analysis_rows(study_patients(patient.study, as_of=today), as_of=today)
    assert (row["il6_peak_pg_ml"], row["il6_fold_change"]) == (420.0, 42.0)
    models.LabResult.objects.filter(day=5).update(value=630.0)  # past the audit trail
    (row,) = analysis_rows(study_patients(patient.study, as_of=today), as_of=today)
    assert row["il6_peak_pg_ml"] == 420.0


def test_the_last_day_read_leaves_out_events_that_change_no_lab_column(patient):
    # A relapse on day 150 ends no late ICAHT window (days 31-100): a cut-off before it
    # changes nothing, so the last day read stays the last value's, day 80.
    labs(patient, "anc", "10^9/L", LATE_ANC)
    event(patient, "relapse", 150)
    assert row_of(patient)["lab_last_day"] == 80
    # A next therapy on day 95 ends it: a cut-off before day 95 would not know it.
    event(patient, "other_therapy", 95)
    assert row_of(patient)["lab_last_day"] == 95


def test_it_reads_each_analyte_only_up_to_the_last_day_its_rules_read(patient):
    # ICAHT reads ANC to day 100, the peaks to day 30, the aplasia every B-cell value;
    # platelets change no column.
    labs(patient, "anc", "10^9/L", [(100, 0.4), (101, 0.4)])
    labs(patient, "il6", "pg/mL", [(-3, 5), (30, 90), (31, 90)])
    labs(patient, "b_cells_pct", "%", [(150, 3.0)])
    labs(patient, "platelets", "10^9/L", [(7, 40)])
    patients = models.Patient.objects.filter(pk=patient.pk).values("id")
    sections = read_sections(patients, LABS, names=())
    read = sorted((day, analyte) for day, analyte, *_ in sections["lab_results"][patient.pk])
    assert read == [(-3, "il6"), (30, "il6"), (100, "anc"), (150, "b_cells_pct")]
    icaht_only = read_sections(patients, ICAHT, names=())["lab_results"][patient.pk]
    assert [(day, analyte) for day, analyte, *_ in icaht_only] == [(100, "anc")]
