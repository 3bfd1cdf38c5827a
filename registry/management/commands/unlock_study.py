from django.core.management.base import BaseCommand

from registry import services
from registry.management.commands.lock_study import study_of
from registry.management.refusals import refused_as_command_error


class Command(BaseCommand):
    help = "Unlock a locked study, with the reason, which is kept in the study's history."

    def add_arguments(self, parser):
        parser.add_argument("code", help="study code, e.g. HCD19")
        parser.add_argument("--reason", required=True, help="why the study is unlocked")

    def handle(self, *args, code: str, reason: str, **options):
        study = study_of(code)
        with refused_as_command_error():
            services.study_unlock(study=study, reason=reason)
        self.stdout.write(f"Study {study.code} unlocked: {reason}")
