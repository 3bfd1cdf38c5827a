"""The follow-up schedule's rules: when a study's timepoint falls for a patient, whether it
is done, and the Clark completeness index of a follow-up. Pure functions over values; the
stored schedule (registry.schedule) and its tests call them.

A timepoint is done when every section it expects is there, each by its own rule:

- a section of records counted in days from the first infusion (daily CRS/ICANS
  assessments, CAR-T counts, response assessments, lab values, toxicity treatments): at
  least one record on a day inside the timepoint's window, target day minus the window
  before to target day plus the window after, both ends included. A record outside the
  window, early or late, does not count for this timepoint;
- the follow-up events: the patient's status is known at the timepoint, that is the last
  contact (the date of death once one is recorded) or an event is on or after the day the
  window opens. Events are an open list, where nothing recorded can mean nothing happened;
  the last contact says up to when that is known;
- any other section (eligibility, genetics, prior therapies, lymphodepletion, infusions,
  the toxicity record): recorded, whatever its date.

A timepoint that is not done is not applicable when the patient died or withdrew from the
study before its window opened, or when its window opens after the clinical cut-off;
otherwise it is upcoming (its window not yet open, or no infusion to count from yet), due
(its window open today) or overdue (its window closed without it being done).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from registry.sections import BY_KEY, DAY_KEYS

EVENTS = "events"

DIED, WITHDRAWN = "died", "withdrawn"
# The rule above in a sentence, as the follow-up page says it.
DONE_RULE = (
    "A visit is done when every section it expects is there: records counted in days "
    "(assessments, CAR-T counts, lab values) on a day inside its window; the follow-up "
    "status (a last contact or an event) known on or after the day its window opens; any "
    "other section recorded, whatever its date."
)


def unknown_sections(keys: Iterable[str]) -> list[str]:
    return [key for key in keys if key not in BY_KEY]


@dataclass(frozen=True)
class TimepointPlan:
    """A study's timepoint: its day after the first infusion and its window, in days."""

    target_day: int
    window_before: int
    window_after: int
    sections: tuple[str, ...]

    @property
    def first_day(self) -> int:
        return self.target_day - self.window_before

    @property
    def last_day(self) -> int:
        return self.target_day + self.window_after


@dataclass(frozen=True)
class CourseFacts:
    """What the schedule reads of one patient's course."""

    first_infusion: date | None = None
    last_contact: date | None = None
    latest_event: date | None = None
    death: date | None = None
    withdrawal: date | None = None
    # Each day section's days with a record.
    days: Mapping[str, frozenset[int]] = field(default_factory=dict)
    # The other sections with a record.
    recorded: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Visit:
    """A timepoint of one patient: its dates (None before any infusion), whether it is
    done, and why it no longer applies (DIED, WITHDRAWN or "")."""

    window_opens: date | None
    due_date: date | None
    window_closes: date | None
    done: bool
    ended: str


def visit(plan: TimepointPlan, facts: CourseFacts) -> Visit:
    start = facts.first_infusion
    opens = start and start + timedelta(days=plan.first_day)
    done = all(_section_done(key, plan, facts, opens) for key in plan.sections)
    return Visit(
        window_opens=opens,
        due_date=start and start + timedelta(days=plan.target_day),
        window_closes=start and start + timedelta(days=plan.last_day),
        done=done,
        ended="" if done else _ended(facts, opens),
    )


def missing_sections(plan: TimepointPlan, facts: CourseFacts) -> tuple[str, ...]:
    """The sections `plan` expects that the course does not have for it."""
    start = facts.first_infusion
    opens = start and start + timedelta(days=plan.first_day)
    return tuple(key for key in plan.sections if not _section_done(key, plan, facts, opens))


def _section_done(key: str, plan: TimepointPlan, facts: CourseFacts, opens: date | None) -> bool:
    if key in DAY_KEYS:
        days = facts.days.get(key, ())
        return any(plan.first_day <= day <= plan.last_day for day in days)
    if key == EVENTS:
        known = max((d for d in (facts.last_contact, facts.latest_event) if d), default=None)
        return opens is not None and known is not None and known >= opens
    return key in facts.recorded


def _ended(facts: CourseFacts, opens: date | None) -> str:
    """Why the timepoint no longer applies: a death or withdrawal before its window opens
    (or, before any infusion, at all), the earlier of the two."""
    stops = sorted(
        (day, why) for day, why in ((facts.death, DIED), (facts.withdrawal, WITHDRAWN)) if day
    )
    for day, why in stops:
        if opens is None or day < opens:
            return why
    return ""


def completeness_index(follow_ups: Iterable[tuple[int, int]]) -> float | None:
    """Clark's completeness index: the patients' observed follow-up time over the time
    they could have been followed, summed over the patients (Clark TG, Altman DG, De
    Stavola BL. Quantification of the completeness of follow-up. Lancet 2002;359:1309-10).

    Each pair is one patient's (observed, potential) days: observed from the start to the
    last contact, potential from the start to the end of the study's follow-up (the
    clinical cut-off, or today), or to the death where it came earlier, at which the
    follow-up is complete. None when no patient could have been followed a day."""
    observed = potential = 0
    for seen, could in follow_ups:
        observed += min(seen, could)
        potential += could
    return observed / potential if potential > 0 else None


def follow_up_days(
    first_infusion: date, last_contact: date | None, died: bool, end: date
) -> tuple[int, int]:
    """One patient's (observed, potential) follow-up days for completeness_index, up to
    `end`; the last contact is the date of death once one is recorded."""
    seen_until = min(last_contact or first_infusion, end)
    observed = max((seen_until - first_infusion).days, 0)
    potential = (
        observed if died and last_contact and last_contact <= end else (end - first_infusion).days
    )
    return observed, max(potential, 0)
