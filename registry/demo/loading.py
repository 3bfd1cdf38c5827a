"""Importing a synthetic cohort (registry.demo.generator) as a study marked synthetic,
whose B-cell aplasia is read in blood, where the generated B cells are counted
(registry.demo.b_cells)."""

from django.db import transaction

from registry.analytes import PERIPHERAL_BLOOD
from registry.demo.study import site_name
from registry.interchange.importer import ImportResult, cohort_import
from registry.interchange.reader import DocumentRejected
from registry.models import Site, Study


class SyntheticImportError(Exception):
    """A synthetic cohort was not imported; the message says why."""


def synthetic_cohort_import(*, data: dict) -> ImportResult:
    """Import a synthetic cohort and mark its study synthetic; never over a real study."""
    code = data["study"]["code"]
    with transaction.atomic():
        if Study.objects.filter(code=code, is_synthetic=False).exists():
            raise SyntheticImportError(
                f"Study {code} holds real patients; a synthetic cohort is not imported over it"
            )
        try:
            result = cohort_import(data=data)
        except DocumentRejected as rejected:
            shown = "; ".join(f"{p.path}: {p.message}" for p in rejected.problems[:5])
            raise SyntheticImportError(
                f"The generated cohort breaks the registry's rules, a bug in registry.demo "
                f"({rejected}): {shown}"
            ) from rejected
        result.study.is_synthetic = True
        result.study.b_cell_aplasia_specimen = PERIPHERAL_BLOOD
        result.study.save(update_fields=["is_synthetic", "b_cell_aplasia_specimen"])
        unnamed = list(result.study.sites.filter(name=""))
        for site in unnamed:
            site.name = site_name(site.code)
        Site.objects.bulk_update(unnamed, ["name"])
    return result
