"""API tokens: django-rest-knox's, which end after API_TOKEN_TTL_DAYS and with a new password.

knox keeps only a hash of each token, gives one token per sign-in (each can be revoked on
its own), and lets tokens expire; what the registry adds is a clear answer to an expired
token and the end of every token of a user whose password changes, by whatever path
(the password change page, the admin, `set_password` and save).

knox deletes a user's other expired tokens each time one of them is used, which reads
every token of the user on every request; here they go when the user signs in for a new
token (`expired_tokens_deleted`). An expired token kept meanwhile works no more than a
deleted one: the token a request sends is checked, and deleted, when it has expired.
"""

import binascii
import functools
from hmac import compare_digest

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import CharField
from django.db.models.signals import pre_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from knox import auth
from knox.crypto import hash_token
from knox.models import AuthToken
from knox.settings import CONSTANTS, knox_settings
from rest_framework.exceptions import AuthenticationFailed

from registry.prepared import Placeholder, PreparedQuery, prepared, rows

EXPIRED = "This token has expired: ask for a new one with POST /api/v1/auth/token/."


class TokenAuthentication(auth.TokenAuthentication):
    """knox's token check, answering an expired token with why rather than "Invalid token.",
    and reading the tokens of the key sent with SQL made once (registry.prepared): every
    request to the API signs in, most answered from the cache."""

    def authenticate_credentials(self, token: bytes):
        # knox's (5.x), but for where the tokens are read from.
        refused = AuthenticationFailed(_("Invalid token."))
        token = token.decode()
        for auth_token in tokens_of_key(token[: CONSTANTS.TOKEN_KEY_LENGTH]):
            if self._cleanup_token(auth_token):
                continue
            try:
                digest = hash_token(token)
            except (TypeError, binascii.Error):
                raise refused from None
            if compare_digest(digest, auth_token.digest):
                if knox_settings.AUTO_REFRESH and auth_token.expiry:
                    self.renew_token(auth_token)
                return self.validate_user(auth_token)
        raise refused

    def _cleanup_token(self, auth_token: AuthToken) -> bool:
        # knox (5.x) calls this for the token sent and, as it stands, reads and deletes the
        # user's other expired tokens too: a query on every request, left to the sign-in.
        # tests/api/test_tokens.py notices if an upgrade moves this.
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            auth_token.delete()
            raise AuthenticationFailed(EXPIRED)
        return False


def tokens_of_key(key: str) -> list[AuthToken]:
    """The tokens whose key (their first characters) is `key`, each with its user."""
    query = _tokens_query()
    tokens = []
    for row in rows(query, key=key):
        auth_token = AuthToken.from_db(query.alias, TOKEN_FIELDS, row[: len(TOKEN_FIELDS)])
        auth_token.user = USER.from_db(query.alias, USER_FIELDS, row[len(TOKEN_FIELDS) :])
        tokens.append(auth_token)
    return tokens


USER = AuthToken._meta.get_field("user").related_model
TOKEN_FIELDS = [field.attname for field in AuthToken._meta.concrete_fields]
USER_FIELDS = [field.attname for field in USER._meta.concrete_fields]


@functools.cache
def _tokens_query() -> PreparedQuery:
    tokens = AuthToken.objects.filter(token_key=Placeholder("key", CharField()))
    user_columns = (f"user__{name}" for name in USER_FIELDS)
    return prepared(tokens.order_by().values_list(*TOKEN_FIELDS, *user_columns))


def expired_tokens_deleted(user: AbstractBaseUser) -> None:
    """Deletes the user's tokens that have expired (each would be refused anyway)."""
    AuthToken.objects.filter(user=user, expiry__lt=timezone.now()).delete()


@receiver(pre_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="registry-password-tokens")
def tokens_end_with_the_password(
    sender: type[AbstractBaseUser], instance: AbstractBaseUser, raw: bool = False, **kwargs
) -> None:
    """A new password ends the user's API tokens, as it ends their other sessions."""
    update_fields = kwargs.get("update_fields")
    if raw or instance.pk is None or (update_fields and "password" not in update_fields):
        return
    stored = sender.objects.filter(pk=instance.pk).values_list("password", flat=True).first()
    if stored is not None and stored != instance.password:
        AuthToken.objects.filter(user_id=instance.pk).delete()
