"""Domain errors of the network app (staff-facing; protocol refusals are hotline.network.protocol.errors)."""

from __future__ import annotations

from hotline.core.errors import DomainError, NotFound


class NetworkError(DomainError):
    """A staff action on the network that cannot be done as asked (400, message for people)."""


class NetworkNotSetUp(NetworkError):
    """This instance has no identity yet (manage.py network_init)."""


class PartnerNotFound(NotFound):
    pass
