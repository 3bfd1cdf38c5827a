"""Synthetic cohorts: cohort documents of invented patients, for demonstrations and benchmarks.

Nothing here describes a real person. Proportions loosely follow the humanized CD19 CAR-T
study the registry was seeded with (An et al.; 19 patients, all after murine CD19 CAR-T,
CR/CRi 68% at day 30, most responders transplanted, CRS mostly grade 1-2, median dose
2.4x10^5 cells/kg) so that the demonstration's tables and curves look plausible.

Every generated patient passes every rule the import checks. The site's recorded maximum
toxicity grades are computed from the generated daily assessments with the registry's own
ASTCT grading, except for one patient in twenty, whose record deliberately disagrees so
that the registry's discrepancy flag has something to show.

Generation is linear in the number of patients and draws from two `random.Random`s of the
seed, so a seed always gives the same document: one for the course, toxicity and outcome,
and one for what cohort format 1.1 added (lab series, qPCR, dated toxicity treatments),
so that adding those left every other value, and the figures made from them, as it was.

By job: the invented study, its dates and proportions (study); a cohort document drawn
from them (generator), with each patient's CAR-T counts (car_t), toxicity (toxicity) and
its treatments (treatments), outcome (outcomes) and lab series (laboratory: blood_counts,
b_cells, inflammation); importing it as a synthetic study (loading).
"""

from registry.demo.generator import synthetic_cohort
from registry.demo.loading import SyntheticImportError, synthetic_cohort_import
from registry.demo.study import DATA_CUTOFF

__all__ = ["DATA_CUTOFF", "SyntheticImportError", "synthetic_cohort", "synthetic_cohort_import"]
