"""registry.site_filters.site_named: the site a list is narrowed to, or the refusal that
names the sites the user may name instead."""

import pytest
from django.core.exceptions import ValidationError

from registry.models import Site
from registry.site_filters import site_named


def test_it_finds_the_site_by_its_code():
    pumc, boren = Site(code="PUMC"), Site(code="BOREN")

    assert site_named([pumc, boren], "BOREN") is boren


def test_it_refuses_a_code_of_none_of_the_sites_naming_theirs_in_order():
    with pytest.raises(ValidationError) as refused:
        site_named([Site(code="PUMC"), Site(code="BOREN")], "BORNE")

    assert refused.value.messages == ["No site 'BORNE' among yours: BOREN, PUMC"]


def test_it_says_so_when_the_user_reads_no_site():
    with pytest.raises(ValidationError) as refused:
        site_named([], "PUMC")

    assert refused.value.messages == ["No site 'PUMC' among yours: none"]


def test_it_takes_a_code_with_a_percent_sign_as_typed():
    with pytest.raises(ValidationError) as refused:
        site_named([Site(code="PUMC")], "50%")

    assert refused.value.messages == ["No site '50%' among yours: PUMC"]
