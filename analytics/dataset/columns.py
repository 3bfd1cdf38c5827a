"""What a row of the analysis dataset holds: its keys, and the costlier column groups
(PARTS) a statistic may leave out.

Keys of a row (``COLUMNS``, in order):

- study_id, site (site code), sex; age_years: completed years at the first infusion (at
  enrolment before any infusion); age_group: "child" under 18, else "adult".
- prior_allo_hct, prior_cd22_cart; mcd19_infusions: number of murine CD19 CAR-T;
  mcd19_primary_resistant: every murine CD19 CAR-T had best response "nr";
  mcd19_interval_months: from the last murine CD19 CAR-T to the first infusion.
- disease_status at enrolment: "isolated_bm" (no extramedullary site), "bm_and_emd"
  (sites and marrow blasts > 5%), "emd_only" (sites and marrow blasts <= 5%); None when
  the eligibility record or the marrow count it needs is missing. cns_involvement,
  emd_sites (number of sites); bcr_abl1, ph_like, tp53_mutation.
- dose_cells_per_kg, product: the first infusion's dose and CAR-T product (a code of
  registry.choices.Product).
- crs_grade, icans_grade: the site's recorded maximum where present, else computed;
  crs_grade_computed, icans_grade_computed: worst daily ASTCT grade (None without daily
  assessments); crs_onset_day_computed, icans_onset_day: the first day of a daily CRS or
  ICANS grade of 1 or more (None without one; the site's record has a CRS onset,
  crs_onset_day, and no ICANS onset); grade_discrepancy: a recorded grade differs from
  the computed one (None when nothing can be compared).
- car_t_detected, car_t_cmax_cells_per_ul, car_t_tmax_day, car_t_auc_0_28,
  car_t_last_detected_day: see ``registry.biomarkers.series_kinetics``, from the flow
  counts in the study's kinetics specimen (Study.car_t_kinetics_specimen, blood unless the
  study says otherwise); None without counts.
- car_t_cmax_copies_per_ug, car_t_tmax_day_qpcr, car_t_auc_0_28_qpcr,
  car_t_persistence_days_qpcr: the same measures of the qPCR series (CAR transgene
  copies/µg DNA) in that specimen; persistence is the last day with detectable copies.
  None without any qPCR value.
- icaht_early_grade, icaht_late_grade: neutrophil ICAHT (registry.icaht: early days 0-30,
  late days 31-100 censored at relapse, next therapy or allo-HCT) from the ANC values in
  blood; None without an ANC value in the window. icaht_discrepancy: the site's recorded
  early ICAHT grade (icaht_grade_recorded) differs from the computed early grade (None
  when either is missing).
- bca_start_day, bca_recovery_day, bca_duration_days, bca_ongoing: B-cell aplasia
  (registry.biomarkers.b_cell_aplasia) from the B cells in the study's specimen and below
  its threshold, censored at an allo-HCT; bca_recovery_event: recovery (True) or censored
  (False) for the time-to-recovery curve, None without aplasia; bca_recovery_discrepancy:
  a recorded B-cell recovery event disagrees with the values (None without such an event).
- il6_, ifng_, il10_ (pg/mL), ferritin_ (ng/mL), crp_ (mg/L) peak_<unit>, peak_day,
  baseline_<unit>, fold_change: the highest value in days 0-30 in blood and its day, the
  last value on or before day 0 and peak / baseline (registry.biomarkers.peak); values
  entered in another unit are converted (registry.analytes), a value below detection is 0.
- d30_response: status of the earliest response assessment on days 21-45
  (``registry.models.patient.DAY_30_WINDOW``), None if there is none; responder: CR or CRi
  (None without a day-30 assessment); mrd: MRD of that assessment.
- hct_after_infusion: an allo-HCT event on or after the infusion day; consolidative_hct:
  one while in response (a responder, transplanted before any relapse).
- relapse, relapse_cd19 (CD19 status of the first relapse), death, death_cause. Events
  count from the infusion day on: one on that day (day 0) is an event at time 0.
- efs_event, efs_months: relapse or death from the infusion, censored at last contact (the
  analyses add non-response as an event at day 0 when all patients are analysed);
  os_event, os_months: death from any cause; followup_months: to last contact or death.

Extra keys, for landmark and competing-risk analyses, tables and the toxicity report:
hct_months, relapse_months, death_months (months from infusion to the first such event,
None if none); nrm (non-relapse mortality: death without an earlier relapse, from a cause
other than the disease; a death from the disease counts as its progression even when no
relapse was recorded, as in refractory patients); infusion_date (the first);
bm_blast_pct (marrow blasts at enrolment); crs_grade_recorded, icans_grade_recorded,
crs_onset_day, tocilizumab, corticosteroids, plasmapheresis, icaht_grade_recorded (the
site's toxicity record);
d30_response_day (the day of the day-30 assessment, which a clinical cut-off compares:
analytics.cutoff); daily_assessment_last_day, car_t_count_last_day: the latest day of the
daily assessments the grades are computed from and of the CAR-T counts the kinetics are;
icaht_early_last_day, icaht_late_last_day, bca_last_day, peak_last_day (internal: kept in
the stored rows, not served, see INTERNAL_COLUMNS): the latest day of the lab values and
events the early and late ICAHT, B-cell aplasia and peak columns read
(analytics.dataset.lab_rules: early ICAHT reads no ANC after day 30, late ICAHT none
after day 100, the peaks no value after day 30, the aplasia the whole B-cell series);
lab_last_day: the latest of those four (each None without any). They tell a
clinical cut-off whose grades, kinetics and lab columns it changes;
left_out (internal): None, or why the patient is left out of every analysis, as a warning
naming the patient and the field: a date outside EARLIEST_DATE to tomorrow, which only data
written past the model's validation can hold (older rows, a direct database write). Such a
row has only study_id and site besides; the analyses drop it and pass its warning on
(analytics.cohort.analysed). A row stored for a date after tomorrow stays left out until its
patient is written again.

Months are days / 30.4375 (registry.units.MONTH_DAYS). Time keys are None for a patient
without an infusion.
"""

from registry.analytes import ANALYTES

# What a column holds, which the data frames type it by (analytics.cohort.analysis_frame):
# a whole number, true/false, a number, a date, or text (a code, a name).
INTEGER, BOOLEAN, NUMBER, DATE, TEXT = KINDS = ("integer", "boolean", "number", "date", "text")

GRADE_COLUMNS = {
    "crs_grade": INTEGER,
    "icans_grade": INTEGER,
    "crs_grade_computed": INTEGER,
    "icans_grade_computed": INTEGER,
    "crs_onset_day_computed": INTEGER,
    "icans_onset_day": INTEGER,
    "grade_discrepancy": BOOLEAN,
}
QPCR_COLUMNS = {
    "car_t_cmax_copies_per_ug": NUMBER,
    "car_t_tmax_day_qpcr": INTEGER,
    "car_t_auc_0_28_qpcr": NUMBER,
    "car_t_persistence_days_qpcr": INTEGER,
}
KINETICS_COLUMNS = {
    "car_t_detected": BOOLEAN,
    "car_t_cmax_cells_per_ul": NUMBER,
    "car_t_tmax_day": INTEGER,
    "car_t_auc_0_28": NUMBER,
    "car_t_last_detected_day": INTEGER,
    **QPCR_COLUMNS,
}
ICAHT_COLUMNS = {
    "icaht_early_grade": INTEGER,
    "icaht_late_grade": INTEGER,
    "icaht_discrepancy": BOOLEAN,
}
BCA_COLUMNS = {
    "bca_start_day": INTEGER,
    "bca_recovery_day": INTEGER,
    "bca_duration_days": INTEGER,
    "bca_ongoing": BOOLEAN,
    "bca_recovery_event": BOOLEAN,
    "bca_recovery_discrepancy": BOOLEAN,
}
# The analytes of the seed's Table S3 peaks, by their codes in registry.analytes.
PEAK_ANALYTES = ("il6", "ifng", "il10", "ferritin", "crp")


def peak_columns(analyte: str) -> tuple[str, str, str, str]:
    """The peak, peak day, baseline and fold change columns of a Table S3 analyte, named by
    its code and its own unit (registry.analytes): pg/mL is pg_ml."""
    unit = ANALYTES[analyte].own_unit.lower().replace("/", "_")
    return (
        f"{analyte}_peak_{unit}",
        f"{analyte}_peak_day",
        f"{analyte}_baseline_{unit}",
        f"{analyte}_fold_change",
    )


PEAK_COLUMNS = {
    column: kind
    for analyte in PEAK_ANALYTES
    for column, kind in zip(peak_columns(analyte), (NUMBER, INTEGER, NUMBER, NUMBER), strict=True)
}

# The site's toxicity record, under the dataset's names (records.TOXICITY_FIELDS in that
# order).
RECORDED_TOXICITY_COLUMNS = {
    "crs_grade_recorded": INTEGER,
    "icans_grade_recorded": INTEGER,
    "crs_onset_day": INTEGER,
    "tocilizumab": BOOLEAN,
    "corticosteroids": BOOLEAN,
    "plasmapheresis": BOOLEAN,
    "icaht_grade_recorded": INTEGER,
}
# Every column, in the order of a row, with what it holds.
COLUMNS = {
    "study_id": TEXT,
    "site": TEXT,
    "sex": TEXT,
    "age_years": INTEGER,
    "age_group": TEXT,
    "prior_allo_hct": BOOLEAN,
    "prior_cd22_cart": BOOLEAN,
    "mcd19_infusions": INTEGER,
    "mcd19_primary_resistant": BOOLEAN,
    "mcd19_interval_months": NUMBER,
    "disease_status": TEXT,
    "cns_involvement": BOOLEAN,
    "emd_sites": INTEGER,
    "bcr_abl1": BOOLEAN,
    "ph_like": BOOLEAN,
    "tp53_mutation": BOOLEAN,
    "dose_cells_per_kg": INTEGER,
    "product": TEXT,
    **GRADE_COLUMNS,
    **KINETICS_COLUMNS,
    **ICAHT_COLUMNS,
    **BCA_COLUMNS,
    **PEAK_COLUMNS,
    "d30_response": TEXT,
    "responder": BOOLEAN,
    "mrd": TEXT,
    "hct_after_infusion": BOOLEAN,
    "consolidative_hct": BOOLEAN,
    "relapse": BOOLEAN,
    "relapse_cd19": TEXT,
    "death": BOOLEAN,
    "death_cause": TEXT,
    "efs_event": BOOLEAN,
    "efs_months": NUMBER,
    "os_event": BOOLEAN,
    "os_months": NUMBER,
    "followup_months": NUMBER,
    # Extra keys (see the module docstring).
    "hct_months": NUMBER,
    "relapse_months": NUMBER,
    "death_months": NUMBER,
    "nrm": BOOLEAN,
    "infusion_date": DATE,
    "bm_blast_pct": NUMBER,
    **RECORDED_TOXICITY_COLUMNS,
    "d30_response_day": INTEGER,
    "daily_assessment_last_day": INTEGER,
    "car_t_count_last_day": INTEGER,
    "icaht_early_last_day": INTEGER,
    "icaht_late_last_day": INTEGER,
    "bca_last_day": INTEGER,
    "peak_last_day": INTEGER,
    "lab_last_day": INTEGER,
    "left_out": TEXT,
}

# Column groups that cost most to read, filled in only when asked for (see analysis_rows).
# The lab columns are three groups, read from one series, each to its own last day: a
# report at a clinical cut-off counts again only the groups it reads, for the patients with
# values after the cut-off that those groups read (analytics.cutoff). lab_last_day, the
# latest of their last days, belongs to none: it is the latest of those a row holds.
GRADES, KINETICS = "grades", "kinetics"
EARLY_ICAHT, LATE_ICAHT = "early_icaht", "late_icaht"
B_CELL_APLASIA, PEAKS = "b_cell_aplasia", "peaks"
ICAHT = (EARLY_ICAHT, LATE_ICAHT)
LABS = (*ICAHT, B_CELL_APLASIA, PEAKS)
PART_COLUMNS = {
    GRADES: (*GRADE_COLUMNS, "daily_assessment_last_day"),
    KINETICS: (*KINETICS_COLUMNS, "car_t_count_last_day"),
    EARLY_ICAHT: ("icaht_early_grade", "icaht_discrepancy", "icaht_early_last_day"),
    LATE_ICAHT: ("icaht_late_grade", "icaht_late_last_day"),
    B_CELL_APLASIA: (*BCA_COLUMNS, "bca_last_day"),
    PEAKS: (*PEAK_COLUMNS, "peak_last_day"),
}
LAB_LAST_DAYS = tuple(PART_COLUMNS[part][-1] for part in LABS)
PARTS = tuple(PART_COLUMNS)

# Kept in the stored rows and the frames, never served: each lab group's last day, which
# only tells a clinical cut-off whose lab columns it changes (lab_last_day, their latest,
# is served), and left_out, whose rows the analyses drop.
INTERNAL_COLUMNS = (*LAB_LAST_DAYS, "left_out")
# The columns of the rows served (GET .../analytics/dataset/, as JSON and CSV) and of
# their schema: every column but the internal ones.
DATASET_COLUMNS = tuple(column for column in COLUMNS if column not in INTERNAL_COLUMNS)
