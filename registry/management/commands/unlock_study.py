from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from registry import services
from registry.management.commands.lock_study import study_of


class Command(BaseCommand):
    help = "Unlock a locked study, with the reason, which is kept in the study's history."

    def add_arguments(self, parser):
        parser.add_argument("code", help="study code, e.g. HCD19")
        parser.add_argument("--reason", required=True, help="why the study is unlocked")

    def handle(self, *args, code: str, reason: str, **options):
        study = study_of(code)
        try:
            services.study_unlock(study=study, reason=reason)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        self.stdout.write(f"Study {study.code} unlocked: {reason}")
