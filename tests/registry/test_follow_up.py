"""The follow-up schedule's pure rules (registry.follow_up), on hand-worked cases.

The timepoint throughout is the protocol's day 28 (target day 28, window 3 days either
side) for a patient first infused on 15 January 2020: the window is day 25 to day 31,
9 to 15 February 2020 (15 January + 25 days = 9 February; + 31 days = 15 February).
"""

from datetime import date

import pytest

from registry.follow_up import (
    DIED,
    WITHDRAWN,
    CourseFacts,
    TimepointPlan,
    completeness_index,
    follow_up_days,
    visit,
)

INFUSED = date(2020, 1, 15)
DAY_28 = TimepointPlan(28, 3, 3, ("response_assessments",))
# Month 3: day 91 ± 14, window day 77 to 105: 1 April to 29 April 2020.
MONTH_3 = TimepointPlan(91, 14, 14, ("response_assessments", "events"))


def facts(**kwargs) -> CourseFacts:
    return CourseFacts(first_infusion=INFUSED, **kwargs)


def test_it_dates_the_window_from_the_first_infusion():
    found = visit(DAY_28, facts())
    assert (found.window_opens, found.due_date, found.window_closes) == (
        date(2020, 2, 9),
        date(2020, 2, 12),
        date(2020, 2, 15),
    )


@pytest.mark.parametrize(
    ("day", "done"),
    [
        (24, False),  # a day early, outside the window
        (25, True),  # early, on the window's first day
        (28, True),  # on the target day
        (31, True),  # late, on the window's last day
        (32, False),  # a day late, outside the window
    ],
)
def test_it_counts_a_record_inside_the_window_only(day, done):
    found = visit(DAY_28, facts(days={"response_assessments": frozenset({day})}))
    assert found.done is done


def test_it_needs_every_expected_section():
    plan = TimepointPlan(7, 1, 1, ("daily_assessments", "car_t_counts"))
    only_daily = facts(days={"daily_assessments": frozenset({7})})
    both = facts(days={"daily_assessments": frozenset({7}), "car_t_counts": frozenset({6})})
    assert not visit(plan, only_daily).done
    assert visit(plan, both).done


@pytest.mark.parametrize(
    ("last_contact", "done"),
    [(date(2020, 3, 31), False), (date(2020, 4, 1), True), (date(2021, 1, 1), True)],
)
def test_it_takes_the_events_as_known_from_a_contact_once_the_window_opens(last_contact, done):
    found = visit(
        MONTH_3, facts(last_contact=last_contact, days={"response_assessments": frozenset({90})})
    )
    assert found.done is done


def test_it_counts_a_section_without_days_once_recorded():
    screening = TimepointPlan(-14, 28, 14, ("eligibility",))
    assert visit(screening, CourseFacts(recorded=frozenset({"eligibility"}))).done
    assert not visit(screening, CourseFacts()).done


@pytest.mark.parametrize(
    ("death", "withdrawal", "ended"),
    [
        (date(2020, 2, 8), None, DIED),  # the day before the window opens
        (date(2020, 2, 9), None, ""),  # the day it opens: still expected
        (None, date(2020, 2, 1), WITHDRAWN),
        (date(2020, 2, 5), date(2020, 2, 1), WITHDRAWN),  # the earlier of the two
        (date(2020, 2, 1), date(2020, 2, 5), DIED),
    ],
)
def test_it_ends_a_timepoint_whose_window_opens_after_a_death_or_withdrawal(
    death, withdrawal, ended
):
    assert visit(DAY_28, facts(death=death, withdrawal=withdrawal)).ended == ended


def test_a_done_timepoint_stays_done_after_a_death():
    found = visit(
        DAY_28, facts(death=date(2020, 1, 20), days={"response_assessments": frozenset({26})})
    )
    assert (found.done, found.ended) == (True, "")


def test_it_leaves_the_dates_unknown_before_an_infusion():
    found = visit(DAY_28, CourseFacts())
    assert (found.window_opens, found.due_date, found.window_closes) == (None, None, None)
    assert visit(DAY_28, CourseFacts(death=date(2020, 1, 1))).ended == DIED


def test_clark_index_of_a_hand_worked_cohort():
    """Clark TG, Altman DG, De Stavola BL. Lancet 2002;359:1309-10: observed over potential
    follow-up time. Worked by hand, cut-off 1 January 2021:
    A infused 1 Jan 2020, alive at last contact 1 Dec 2020: observed 335 days (2020 is a
      leap year), potential 366;
    B infused 1 Jul 2020, died 1 Oct 2020: observed = potential = 92 (31 + 31 + 30);
    C infused 1 Oct 2020, never seen again: observed 0, potential 92 (31 + 30 + 31).
    C = (335 + 92 + 0) / (366 + 92 + 92) = 427 / 550 = 0.77636…"""
    end = date(2021, 1, 1)
    patients = [
        follow_up_days(date(2020, 1, 1), date(2020, 12, 1), False, end),
        follow_up_days(date(2020, 7, 1), date(2020, 10, 1), True, end),
        follow_up_days(date(2020, 10, 1), date(2020, 10, 1), False, end),
    ]
    assert patients == [(335, 366), (92, 92), (0, 92)]
    assert completeness_index(patients) == pytest.approx(427 / 550, abs=1e-12)


def test_clark_index_caps_the_follow_up_at_the_cutoff():
    # Seen after the cut-off: observed up to the cut-off only, complete.
    assert follow_up_days(date(2020, 1, 1), date(2021, 6, 1), False, date(2021, 1, 1)) == (
        366,
        366,
    )
    # Died after the cut-off: followed, alive, to the cut-off.
    assert follow_up_days(date(2020, 1, 1), date(2021, 6, 1), True, date(2021, 1, 1)) == (
        366,
        366,
    )


def test_clark_index_is_none_without_potential_follow_up():
    assert completeness_index([]) is None
    assert completeness_index([(0, 0)]) is None
