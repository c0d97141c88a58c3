"""Staff business rules as plain functions: codes, role labels, admin safety, the sign-in lockout's network and
per-account delay."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from hotline.core.authz import (
    ADMIN,
    ANALYST,
    CAMPAIGNER,
    COALITION_LIAISON,
    POLICE_LIAISON,
    ROLES,
    STATISTICIAN,
    SUPERVISOR,
)

RECOVERY_CODE_COUNT = 10
# At this many unused recovery codes or fewer, every staff page warns (a lost phone then locks the member out soon).
RECOVERY_CODES_LOW = 2
LOGIN_STEP_SECONDS = 300  # between the password step and the code step
KNOWN_BROWSER_DAYS = 90  # a browser that signed in to an account skips that account's delay this long
IPV4_NETWORK_PREFIX = 24
IPV6_NETWORK_PREFIX = 64

ROLE_LABELS: dict[str, Promise] = {
    ANALYST: _("Analyst"),
    SUPERVISOR: _("Supervisor"),
    ADMIN: _("Administrator"),
    CAMPAIGNER: _("Campaigner"),
    STATISTICIAN: _("Statistician"),
    COALITION_LIAISON: _("Financial coalition liaison"),
    POLICE_LIAISON: _("Police liaison"),
}
assert set(ROLE_LABELS) == set(ROLES)


def role_choices() -> list[tuple[str, Promise]]:
    return [(role, ROLE_LABELS[role]) for role in ROLES]


def clean_code(code: str) -> str:
    """What a person typed as a code, without spaces or dashes (apps show '123 456', we print 'abcd-efgh')."""
    return "".join(ch for ch in code if ch not in " -\t").lower()


def looks_like_totp(code: str, digits: int = 6) -> bool:
    return len(code) == digits and code.isascii() and code.isdigit()


def format_recovery_code(token: str) -> str:
    """Recovery codes are 8 characters; shown in two groups of four to be copied without mistakes."""
    return f"{token[:4]}-{token[4:]}" if len(token) == 8 else token


def admin_change_problem(
    *,
    actor_id: int | None,
    user_id: int,
    is_active_admin: bool,
    keeps_admin: bool,
    stays_active: bool,
    other_active_admins: int,
) -> str | None:
    """Why an admin change must be refused (a message key), or None.

    Nobody may deactivate their own account, and the last active administrator cannot lose the
    role or be deactivated: otherwise no one could manage accounts any more.
    """
    if actor_id is not None and actor_id == user_id and not stays_active:
        return "self_deactivate"
    if is_active_admin and not (keeps_admin and stays_active) and other_active_admins == 0:
        return "last_admin"
    return None


def client_network(address: str) -> str | None:
    """The network a sign-in attempt comes from, as its first address: the /24 of an IPv4 address, the /64 of
    an IPv6 one (an IPv4-mapped IPv6 address counts as IPv4). None for anything that is not an address.

    The lockout counts failures per account *and* network: an IPv6 client owns a whole /64, and an attacker
    hopping within one IPv4 block stays one network, while colleagues elsewhere are never locked with them.
    """
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    prefix = IPV4_NETWORK_PREFIX if ip.version == 4 else IPV6_NETWORK_PREFIX
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False).network_address)


def network_label(network: str | None) -> str:
    """'192.0.2.0/24' for the network client_network() gave: how people and log lines name it."""
    if not network:
        return "-"
    prefix = IPV6_NETWORK_PREFIX if ":" in network else IPV4_NETWORK_PREFIX
    return f"{network}/{prefix}"


def account_delay_seconds(failures: int, *, free: int, maximum: int) -> int:
    """How long after an account's last failed sign-in the next attempt must wait, given `failures` recent
    failures of that account from every network together: none for the first `free`, then 1 s, 2 s, 4 s, …
    up to `maximum`. A delay, never a lock: it runs out on its own, and waiting attempts are not counted."""
    if failures < free:
        return 0
    return int(min(2 ** min(failures - free, 62), maximum))


# Where each role's work is, in the order a person with several roles is taken there after sign-in. A role
# without a page of its own lands on the staff home, never a 404. The statistician (the director's role) has
# the statistics dashboard.
LANDING_PAGES = (
    ("supervisor", "/cases/supervision/"),
    ("analyst", "/cases/"),
    ("police_liaison", "/referrals/police/"),
    ("campaigner", "/campaigns/"),
    ("statistician", "/insights/"),
    ("admin", "/staff/users/"),
)
STAFF_HOME = "/staff/"


def landing_page(roles: Iterable[str]) -> str:
    """The page a staff member lands on after signing in: their work."""
    held = set(roles)
    return next((path for role, path in LANDING_PAGES if role in held), STAFF_HOME)


def recovery_codes_warning(left: int) -> str | None:
    """How loudly staff pages warn about recovery codes running out: "none" (strong: a lost phone now locks the
    member out), "low" (at most RECOVERY_CODES_LOW left), or None (enough left)."""
    if left <= 0:
        return "none"
    if left <= RECOVERY_CODES_LOW:
        return "low"
    return None
