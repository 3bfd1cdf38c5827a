"""A study's completeness of required data, read off what registry.casebook keeps: the
figures by site and by section, and the patients with required data missing. Each is one
query over an index (patient_casebook_idx, section_status_figures_idx), cheap at 100,000
patients.

Each takes the sites as read once by the caller (a list, or a queryset it has evaluated):
a site's page asks all three, and reading the user's sites again for each, through their
memberships, cost more than the figures themselves. Counts are of an indexed column, not
of the row's id, so that the figures are read off the index alone."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from registry.casebook import SECTION_KEYS, section_title
from registry.models import Patient, SectionStatus, Site, Study


@dataclass(frozen=True)
class SiteFigures:
    label: str
    patients: int
    with_missing: int
    required: int
    missing: int
    signed: int

    @property
    def share_filled(self) -> float | None:
        return (self.required - self.missing) / self.required if self.required else None


def site_figures(study: Study, sites: Iterable[Site]) -> list[SiteFigures]:
    """Each of `sites`' completeness of required data, by code, then all of them together."""
    sites = sorted(sites, key=lambda site: site.code)
    rows = {
        row["site"]: row
        for row in Patient.objects.filter(study=study, site__in=[site.pk for site in sites])
        .order_by()
        .values("site")
        .annotate(
            patients=Count("site"),
            with_missing=Count("site", filter=Q(required_missing__gt=0)),
            required=Coalesce(Sum("required_total"), 0),
            missing=Coalesce(Sum("required_missing"), 0),
            signed=Count("site", filter=Q(casebook_signed=True)),
        )
    }
    empty = {"patients": 0, "with_missing": 0, "required": 0, "missing": 0, "signed": 0}
    figures = [SiteFigures(site.code, **_counts(rows.get(site.pk, empty))) for site in sites]
    totals = {name: sum(getattr(f, name) for f in figures) for name in empty}
    return [*figures, SiteFigures("All sites", **totals)]


def _counts(row: dict) -> dict:
    names = ("patients", "with_missing", "required", "missing", "signed")
    return {name: row[name] for name in names}


def section_figures(study: Study, sites: Iterable[Site]) -> list[tuple[str, int, int]]:
    """Each section with required fields: its title, the patients missing some of them,
    and the required fields missing in all."""
    site_ids = [site.pk for site in sites]
    rows = (
        SectionStatus.objects.filter(study=study, site__in=site_ids, required__gt=0)
        .order_by()
        .values("section")
        .annotate(
            patients=Count("section", filter=Q(missing_count__gt=0)), missing=Sum("missing_count")
        )
    )
    found = {row["section"]: row for row in rows}
    return [
        (section_title(key), found[key]["patients"], found[key]["missing"])
        for key in SECTION_KEYS
        if key in found
    ]


def patients_missing_data(study: Study, sites: Iterable[Site]) -> QuerySet[Patient]:
    """The patients of `sites` with required data missing, by study id."""
    site_ids = [site.pk for site in sites]
    return study.patients.filter(site__in=site_ids, required_missing__gt=0).order_by("subject_id")
