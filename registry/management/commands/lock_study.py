from django.core.management.base import BaseCommand, CommandError

from registry import services
from registry.management.refusals import refused_as_command_error
from registry.models import Study


class Command(BaseCommand):
    help = "Lock a study: its patients' data cannot change until it is unlocked."

    def add_arguments(self, parser):
        parser.add_argument("code", help="study code, e.g. HCD19")
        parser.add_argument("--reason", default="", help="kept in the study's history")

    def handle(self, *args, code: str, reason: str, **options):
        study = study_of(code)
        with refused_as_command_error():
            services.study_lock(study=study, reason=reason)
        self.stdout.write(f"Study {study.code} locked at {study.locked_at:%Y-%m-%d %H:%M %Z}")


def study_of(code: str) -> Study:
    study = Study.objects.filter(code=code).first()
    if study is None:
        raise CommandError(f"No study {code!r}")
    return study
