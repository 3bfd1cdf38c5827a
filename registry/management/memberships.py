"""What the commands that give and take away a user's role in a study (grant_role,
revoke_role) share: the arguments naming the user, the study and its sites, and how they
are found."""

from argparse import ArgumentParser

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.management.base import CommandError

from registry.models import Site, Study


def add_membership_arguments(parser: ArgumentParser, *, site_help: str) -> None:
    """The user and the study as positional arguments, the study's sites as --site."""
    parser.add_argument("username")
    parser.add_argument("study_code")
    parser.add_argument(
        "--site",
        dest="sites",
        action="append",
        default=[],
        metavar="SITE_CODE",
        help=site_help,
    )


def user_and_study(
    username: str, study_code: str, site_codes: list[str]
) -> tuple[AbstractBaseUser, Study, list[Site]]:
    """The user, the study and the study's sites a command names; CommandError naming the
    first that is not there."""
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"No user {username!r}")
    study = Study.objects.filter(code=study_code).first()
    if study is None:
        raise CommandError(f"No study {study_code!r}")
    found = {site.code: site for site in study.sites.filter(code__in=site_codes)}
    missing = [code for code in site_codes if code not in found]
    if missing:
        raise CommandError(study.no_such_sites(missing))
    return user, study, [found[code] for code in site_codes]
