"""The study protocol's eligibility criteria as a pure function."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Criteria:
    """A study's protocol criteria (registry.models.Study.eligibility_criteria; the Study
    fields hold their defaults: the seed study's)."""

    min_cd19_blast_pct: float
    min_bm_blast_pct: float
    max_ecog: int
    requires_prior_murine_cd19: bool


# A verdict as the pages, the admin and the FHIR export name it.
VERDICT_LABELS = {True: "Eligible", False: "Not eligible", None: "Incomplete"}


@dataclass(frozen=True)
class Verdict:
    eligible: bool | None  # None while a criterion cannot be judged yet
    reasons: list[str] = field(default_factory=list)  # unmet or missing criteria

    @property
    def label(self) -> str:
        return VERDICT_LABELS[self.eligible]


def eligibility_verdict(
    *,
    cd19_blast_pct: float | None,
    bm_blast_pct: float | None,
    extramedullary_sites: list[str],
    ecog: int | None,
    adequate_organ_function: bool | None,
    murine_cd19_cart_count: int,
    criteria: Criteria,
) -> Verdict:
    unmet, missing = [], []
    if cd19_blast_pct is None:
        missing.append("CD19-positive blasts not recorded")
    elif cd19_blast_pct < criteria.min_cd19_blast_pct:
        unmet.append(
            f"{cd19_blast_pct}% of blasts CD19-positive; at least "
            f"{criteria.min_cd19_blast_pct}% required"
        )
    has_emd = bool(extramedullary_sites)
    if bm_blast_pct is None and not has_emd:
        missing.append("marrow blasts not recorded")
    elif not has_emd and bm_blast_pct <= criteria.min_bm_blast_pct:
        unmet.append(
            f"{bm_blast_pct}% marrow blasts and no extramedullary disease; more than "
            f"{criteria.min_bm_blast_pct}% or extramedullary disease required"
        )
    if ecog is None:
        missing.append("ECOG not recorded")
    elif ecog > criteria.max_ecog:
        unmet.append(f"ECOG {ecog}; at most {criteria.max_ecog} allowed")
    if adequate_organ_function is None:
        missing.append("organ function not recorded")
    elif not adequate_organ_function:
        unmet.append("organ function not adequate")
    if criteria.requires_prior_murine_cd19 and murine_cd19_cart_count == 0:
        unmet.append("no earlier murine CD19 CAR-T recorded")
    if unmet:
        return Verdict(False, unmet + missing)
    return Verdict(None if missing else True, missing)
