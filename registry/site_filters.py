"""The site filter of the registry's lists: `?site=` names one of the sites the user reads.

A list narrowed to a site the user does not read (a typo, another study's site) would
answer as if that site had no patients; it is refused instead, with the sites the user may
name, in the same words wherever a list takes a site: the patients, the analyses and the
dashboard, the data queries, the completeness and follow-up lists.
"""

from collections.abc import Iterable, Sequence

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict

from registry import access
from registry.models import Site

# The (study code, site code) of each site the user reads.
Sites = Sequence[tuple[str, str]]


def not_your_site(code: str, codes: Iterable[str]) -> str:
    """Why a list is not narrowed to the site `code`: no site the list may name has that
    code; their codes are `codes`."""
    offered = ", ".join(sorted(set(codes))) or "none"
    return f"No site {code!r} among yours: {offered}"


def site_named(sites: Iterable[Site], code: str) -> Site:
    """The one of `sites` whose code is `code`; refused, naming their codes, when
    none has it."""
    sites = list(sites)
    for site in sites:
        if site.code == code:
            return site
    raise ValidationError(not_your_site(code, (site.code for site in sites)), code="invalid")


def sites_to_check(user, query: QueryDict, study_id: int | None = None) -> Sites | None:
    """The sites `user` reads (of the study `study_id` only, if given), which the site
    `query` asks for must be one of; None when it asks for none: they are read for a site
    alone."""
    if not query.get("site"):
        return None
    return access.visible_site_rows(user, ("study__code", "code"), study_id)


class SiteFilterForm(forms.Form):
    """A filter form whose `site` is one of `sites` when they are given (of the study its
    `study` chooses, if one is); None takes any site code."""

    sites: Sites | None = None

    def clean(self) -> dict:
        cleaned = super().clean()
        code = cleaned.get("site")
        if isinstance(code, str) and code and self.sites is not None:
            study = cleaned.get("study")
            # The study as chosen: a Study, or its code.
            study_code = getattr(study, "code", study) or None
            codes = [site for of, site in self.sites if study_code in (None, of)]
            if code not in codes:
                # The code as a parameter: the message is read as a format (django-filter's
                # errors for DRF), where a "%" typed in the code would break it.
                message = not_your_site(code, codes)
                self.add_error("site", ValidationError("%(message)s", params={"message": message}))
        return cleaned


class SiteFilterSet(django_filters.FilterSet):
    """A FilterSet whose form (a SiteFilterForm) refuses a site not among `sites`."""

    def __init__(self, data=None, queryset=None, *, sites: Sites | None = None, **kwargs):
        super().__init__(data, queryset, **kwargs)
        self.sites = sites

    def get_form_class(self) -> type[SiteFilterForm]:
        # A class made anew for each FilterSet (django-filter's), its own to set.
        form_class = super().get_form_class()
        form_class.sites = self.sites
        return form_class
