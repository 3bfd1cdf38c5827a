"""registry.paging.CountedPaginator: the pages of a list whose count is known, those in its
second half read from the end of the list."""

import datetime

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from registry.models import Patient
from registry.paging import CountedPaginator
from tests import factories

pytestmark = pytest.mark.django_db

# Total orders, two patients never alike in them: by first infusion, where most patients
# have none (nulls placed by the database, or after the dates), then by study id.
ORDERS = {
    "first infusion": ("first_infusion_date", "study_id", "subject_id"),
    "first infusion, descending": ("-first_infusion_date", "-study_id", "-subject_id"),
    "first infusion, nulls last": (
        F("first_infusion_date").asc(nulls_last=True),
        "study_id",
        "subject_id",
    ),
}


@pytest.fixture
def patients():
    """Eleven patients, four infused, two of them on the same day."""
    site = factories.SiteFactory()
    days = [datetime.date(2021, 3, 1), datetime.date(2021, 1, 5), datetime.date(2021, 3, 1)]
    days += [datetime.date(2020, 12, 24), *[None] * 7]
    for day in days:
        factories.PatientFactory(site=site, first_infusion_date=day)
    return Patient.objects.filter(site=site)


@pytest.mark.parametrize("order", ORDERS.values(), ids=ORDERS.keys())
@pytest.mark.parametrize("per_page", [1, 2, 3, 4, 11])
def test_each_page_holds_what_django_s_paginator_gives(patients, order, per_page):
    ids = patients.order_by(*order).values_list("pk", flat=True)
    counted = CountedPaginator(ids, per_page, count=ids.count())
    plain = Paginator(ids, per_page)
    assert counted.num_pages == plain.num_pages
    for number in counted.page_range:
        assert list(counted.page(number)) == list(plain.page(number)), f"page {number}"


def test_the_last_page_is_read_from_the_end(patients):
    ids = patients.order_by("study_id", "subject_id").values_list("pk", flat=True)
    counted = CountedPaginator(ids, 3, count=11)

    with CaptureQueriesContext(connection) as captured:
        last = list(counted.page(4))

    assert last == list(ids)[9:]
    (sql,) = [query["sql"] for query in captured.captured_queries]
    assert "DESC" in sql
    assert "OFFSET" not in sql  # its first row is the list's last


def test_a_page_of_a_list_that_is_no_queryset_is_read_as_django_reads_it():
    counted = CountedPaginator(list(range(10)), 3, count=10)
    assert list(counted.page(3)) == [6, 7, 8]
    assert list(counted.page(4)) == [9]
