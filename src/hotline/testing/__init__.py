"""Every app's test-data builders in one import, for the tests outside the apps (tests/) and the benchmarks
(bench/): `from hotline.testing import make_assessed_case, staff_user`. The composition root's layer.

The builders live in each app's own `factories.py`, in that app's layer, so the app's tests and demo data
use them too (an app's tests cannot import this package: it sits above every app). See docs/testing.md.
"""

from hotline.campaigns.factories import make_petition, signature_row
from hotline.cases.factories import (
    add_host_facts,
    claim_and_assess,
    make_assessed_case,
    make_case,
    make_cases,
    store_report,
    triaged_case,
)
from hotline.referrals.factories import partner_hotline
from hotline.staff.factories import (
    TEST_PASSWORD,
    current_totp,
    known_staff_user,
    login_verified,
    partner_key,
    staff_user,
)
from hotline.tracing.factories import address_facts, record_trace, traced_host

__all__ = [
    "TEST_PASSWORD",
    "add_host_facts",
    "address_facts",
    "claim_and_assess",
    "current_totp",
    "known_staff_user",
    "login_verified",
    "make_assessed_case",
    "make_case",
    "make_cases",
    "make_petition",
    "partner_hotline",
    "partner_key",
    "record_trace",
    "signature_row",
    "staff_user",
    "store_report",
    "traced_host",
    "triaged_case",
]
