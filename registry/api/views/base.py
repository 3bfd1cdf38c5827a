"""What every viewset of the registry's records is built on."""

from registry.api.pagination import Pagination
from registry.api.parsers import JSONParser
from registry.api.permissions import RolePermissions
from registry.http import AUTHENTICATION


class RegistryViewMixin:
    authentication_classes = AUTHENTICATION
    permission_classes = [RolePermissions]
    parser_classes = [JSONParser]
    pagination_class = Pagination
    filter_backends: list = []
