"""Why a trace (or one RDAP lookup) failed: stable codes stored with each trace, labels for people."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class FailureCode(models.TextChoices):
    NXDOMAIN = "nxdomain", _("The name does not exist (NXDOMAIN)")
    NO_ADDRESS = "no_address", _("The name exists but has no IPv4 or IPv6 address (NODATA)")
    DNS_TIMEOUT = "dns_timeout", _("No answer from the DNS resolver in time")
    DNS_SERVFAIL = "dns_servfail", _("The DNS resolver reported a failure (SERVFAIL or REFUSED)")
    DNS_MALFORMED = "dns_malformed", _("Malformed DNS answer")
    CNAME_LOOP = "cname_loop", _("The CNAME chain loops or is too long")
    DNS_ERROR = "dns_error", _("The DNS lookup failed")
    RDAP_UNAVAILABLE = "rdap_unavailable", _("The RDAP server is down or refused the lookup")
    RDAP_TIMEOUT = "rdap_timeout", _("No answer from the RDAP server in time")
    RDAP_MALFORMED = "rdap_malformed", _("Malformed RDAP answer")
    RDAP_BOOTSTRAP = "rdap_bootstrap", _("The RDAP bootstrap list could not be loaded")
    RDAP_REFUSED = "rdap_refused", _("The RDAP server redirected to a server that is not an RDAP server")
    SPECIAL_USE = "special_use", _("A special-use name (such as .onion or .test) that public DNS does not resolve")
    INTERNAL = "internal", _("Unexpected error in the trace")


# Asking again cannot change these answers; every other failure is retried with backoff.
FINAL_FAILURES = frozenset({FailureCode.SPECIAL_USE})


class TraceFailure(Exception):
    """A lookup that failed in a known way; `reason` is a short technical text (no URLs)."""

    def __init__(self, code: str, reason: str):
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason[:500]
