"""What every page's template reads beside the page's own context."""

from django.http import HttpRequest

from registry import access


def navigation(request: HttpRequest) -> dict:
    # A callable: the template calls it only on pages that draw the menu.
    return {"shows_admin_link": lambda: access.uses_admin(request.user)}
