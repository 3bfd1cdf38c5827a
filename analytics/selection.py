"""The patients chosen on the dashboard, and the cached results about them: the same as
the API returns for the same parameters (analytics.results)."""

from dataclasses import dataclass, replace
from functools import cached_property

import pandas as pd

from analytics import figures, params
from analytics.caching import StudyCache, study_cache
from analytics.cohort import RESPONDERS, in_population
from analytics.cutoff import CutFrame
from analytics.dataset import study_patients
from analytics.results import cut_frame, study_car_t_counts, study_lab_series, study_result
from registry.analytes import ANALYTES, PERIPHERAL_BLOOD
from registry.models import Study

DATES = ("cutoff", "as_of")
# The lab series the dashboard opens with: the count every CAR-T program follows first.
DEFAULT_ANALYTE = "anc"


@dataclass(frozen=True)
class Selection:
    """The patients chosen on the dashboard, and the cached results about them."""

    study: Study
    analysis: params.AnalysisRequest

    @cached_property
    def store(self) -> StudyCache:
        # One for the page: each version the results are filed under is read once.
        return study_cache(self.study)

    @property
    def population(self) -> str:
        return self.analysis.params["population"]

    def result(self, name: str, **chosen) -> dict:
        """The named result (analytics.results.REPORTS) with these parameters: the API's
        answer to the same query, from the same cache."""
        # The chosen clinical cut-off and as-recorded date are parameters too.
        given = {name: self.analysis.params[name] for name in DATES if name in self.analysis.params}
        given["population"] = self.population
        given |= {key: value for key, value in chosen.items() if value is not None}
        return study_result(self.study, name, replace(self.analysis, params=given), self.store)

    @cached_property
    def cut(self) -> CutFrame:
        return cut_frame(self.study, self.store, self.analysis, parts=())

    @cached_property
    def frame(self) -> pd.DataFrame:
        return in_population(self.cut.frame, self.population)

    def empty_reason(self) -> dict:
        """Why no patient is analysed, when it is not the filters: nothing entered by the
        as-recorded date, or everyone infused after the clinical cut-off."""
        as_of, cutoff = self.analysis.as_of, self.analysis.cutoff
        if as_of and not study_patients(self.study, as_of=as_of).exists():
            return {"nothing_entered_by": as_of}
        if self.cut.left_out and self.cut.frame.empty:
            return {"infused_after_cutoff": self.cut.left_out, "cutoff": cutoff}
        return {}

    @cached_property
    def ticks(self) -> tuple[float, ...]:
        longest = pd.to_numeric(self.frame["followup_months"]).max()
        return figures.month_ticks(None if pd.isna(longest) else float(longest))

    def survival(self, endpoint: str) -> dict:
        chosen = self.analysis.params
        return self.result(
            "survival",
            endpoint=endpoint,
            by=chosen.get("by"),
            cut=chosen.get("cut"),
            times=self.ticks,
        )

    def incidence(self) -> dict:
        # Relapse presupposes a remission: among the responders, whatever the population.
        months = in_population(self.frame, RESPONDERS)["efs_months"]
        times = figures.curve_times(months.tolist(), self.ticks)
        return self.result("cumulative-incidence", population=RESPONDERS, times=times)

    def car_t_counts(self) -> dict:
        return study_car_t_counts(self.study, self.store, self.analysis)

    def lab_series(self) -> dict:
        """The series of the analyte chosen (ANC unless one is), in blood and in its own
        unit: the API's answer for the same analyte."""
        analyte = self.analysis.params.get("analyte") or DEFAULT_ANALYTE
        given = {name: self.analysis.params[name] for name in DATES if name in self.analysis.params}
        given |= {
            "population": self.population,
            "analyte": analyte,
            "specimen": PERIPHERAL_BLOOD,
            "unit": ANALYTES[analyte].own_unit,
            "per_patient": False,
        }
        return study_lab_series(self.study, replace(self.analysis, params=given), self.store)
