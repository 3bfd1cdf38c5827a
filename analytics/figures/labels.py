"""Covariates, their values and p values as a clinician reads them."""

import numpy as np

from registry.choices import Sex

# The covariates a clinician compares groups by, as they would name them.
COVARIATE_LABELS = {
    "prior_allo_hct": "Prior allo-HCT",
    "prior_cd22_cart": "Prior CD22 CAR-T",
    "age_group": "Age group",
    "mcd19_interval_months": "Months from the last murine CD19 CAR-T",
    "disease_status": "Disease status at enrolment",
    "hct_after_infusion": "Allo-HCT after the infusion",
    "consolidative_hct": "Allo-HCT in remission",
    "d30_response": "Day-30 response",
    "sex": "Sex",
    "site": "Site",
    "age_years": "Age (years)",
    "dose_cells_per_kg": "Dose (cells/kg)",
}
# The time-to-event endpoints, as the API names them (analytics.params) and a clinician does.
ENDPOINT_NAMES = {
    "efs": "Event-free survival",
    "os": "Overall survival",
    "rfs": "Relapse-free survival",
    "bca": "Still in B-cell aplasia",
}
VALUE_LABELS = {
    "child": "Children (< 18)",
    "adult": "Adults",
    **dict(Sex.choices),
    "isolated_bm": "Isolated BM",
    "bm_and_emd": "BM and EMD",
    "emd_only": "EMD only",
}


def value_label(value) -> str:
    """A covariate's value as a clinician reads it: True "Yes", "<12" "< 12", "emd_only"
    "EMD only"."""
    if isinstance(value, bool | np.bool_):
        return "Yes" if value else "No"
    if value is None:
        return "Not recorded"
    if isinstance(value, str) and value.startswith(">="):
        return f"≥ {value[2:]}"
    if isinstance(value, str) and value.startswith("<"):
        return f"< {value[1:]}"
    return VALUE_LABELS.get(value, str(value))


def group_name(report: dict, value) -> str:
    if report["by"] is None:
        return "Responders" if report["population"] == "responders" else "All patients"
    return value_label(value)


def format_p(p: float) -> str:
    """As the paper gives them: 0.0108, 0.029, 1.0; below 0.001 as "< 0.001"."""
    if p < 0.001:
        return "< 0.001"
    text = f"{p:.4f}".rstrip("0")
    return f"{text}0" if text.endswith(".") else text
