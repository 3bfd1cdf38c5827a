"""The follow-up visits of an invented patient, as a site records them on the study's
default schedule (registry.schedule.DEFAULT_TIMEPOINTS): a CRS/ICANS assessment at each
timepoint that expects one after the days of observation (registry.demo.toxicity), and a
response assessment at each one after the day-30 assessment, while the patient is followed.

A visit falls inside its timepoint's window, and a few are missed (MISSED_SHARE), as some
are in any registry: most expected sections of a past timepoint are there, so the queries
the registry opens itself on missing sections (registry.quality) are a short list, not
one per timepoint of every patient.
"""

import random

from registry.choices import RESPONDER_STATUSES
from registry.demo.study import ASSESSED_DAYS, CAPD_FINDINGS, ICE_FINDINGS, QUIET_DAY
from registry.schedule import DEFAULT_TIMEPOINTS

MISSED_SHARE = 0.03
DAILY = "daily_assessments"
RESPONSE = "response_assessments"


def _visit_days(rng: random.Random, section: str, after: int, until: int) -> list[int]:
    """A day in the window of each default timepoint that expects `section` and whose
    target day is after `after`, up to `until` (the last day the patient is followed),
    less the visits missed."""
    days = []
    for _name, target, before, after_target, sections in DEFAULT_TIMEPOINTS:
        if section not in sections or target <= after:
            continue
        day = rng.randint(target - before // 2, target + after_target // 2)
        if day < until and rng.random() >= MISSED_SHARE:
            days.append(day)
    return days


def later_assessments(rng: random.Random, *, child: bool, until: int) -> list[dict]:
    """Quiet CRS/ICANS assessments after the days of observation: no fever, no sign."""
    findings = (CAPD_FINDINGS if child else ICE_FINDINGS)[0][0]
    return [
        {"day": day, "temperature_c": round(rng.uniform(36.2, 37.4), 1)} | QUIET_DAY | findings
        for day in _visit_days(rng, DAILY, max(ASSESSED_DAYS), until)
    ]


def later_responses(
    rng: random.Random, *, first: dict, relapse_day: int | None, until: int
) -> list[dict]:
    """Response assessments after the first one (`first`): a responder stays in remission
    with no measurable residual disease until a relapse, after which (and for a patient who
    never responded) the disease is there; an assessment not evaluable stays so."""
    assessments = []
    for day in _visit_days(rng, RESPONSE, first["day"], until):
        relapsed = relapse_day is not None and day >= relapse_day
        if first["status"] in RESPONDER_STATUSES and not relapsed:
            found = {"status": "cr", "bm_blast_pct": round(rng.uniform(0, 1), 1)}
            found |= {"mrd": "negative", "mrd_method": "flow"}
        elif first["status"] == "not_evaluable" and not relapsed:
            found = {"status": "not_evaluable", "mrd": "not_evaluable"}
        else:
            blasts = round(rng.uniform(6, 90), 1)
            found = {"status": "nr", "bm_blast_pct": blasts, "mrd": "positive"}
            found |= {"mrd_level": round(blasts / 100, 6), "mrd_method": "flow"}
        assessments.append({"day": day} | found)
    return assessments
