import json
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from registry.demo import SyntheticImportError, synthetic_cohort, synthetic_cohort_import

PATIENTS_PER_SITE = 2000


class Command(BaseCommand):
    help = (
        "Generate a synthetic cohort (invented patients) of any size, for benchmarks: "
        "write it as cohort JSON with -o, or else import it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--patients", type=int, required=True)
        parser.add_argument("--code", default="SYNTH", help="study code (default: SYNTH)")
        parser.add_argument("--seed", type=int, default=2019)
        parser.add_argument("-o", "--output", type=Path, help="file to write instead of importing")

    def handle(self, *args, patients: int, code: str, seed: int, output: Path | None, **options):
        if patients < 1:
            raise CommandError("--patients must be 1 or more")
        sites = max(3, patients // PATIENTS_PER_SITE)
        started = time.perf_counter()
        document = synthetic_cohort(code=code, patients=patients, sites=sites, seed=seed)
        self.stdout.write(
            f"Generated {patients:,} synthetic patients over {sites} sites "
            f"in {time.perf_counter() - started:.1f} s"
        )
        started = time.perf_counter()
        if output is None:
            try:
                result = synthetic_cohort_import(data=document)
            except SyntheticImportError as error:
                raise CommandError(str(error)) from None
            done = f"Imported study {result.study.code} ({result.created:,} patients created, "
            done += f"{result.updated:,} updated)"
        else:
            with output.open("w", encoding="utf-8") as file:
                json.dump(document, file, ensure_ascii=False, separators=(",", ":"))
            done = f"Wrote {output} ({output.stat().st_size:,} bytes)"
        self.stdout.write(f"{done} in {time.perf_counter() - started:.1f} s")
