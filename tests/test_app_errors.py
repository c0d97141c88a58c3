"""Every app's domain errors stand on core's bases, and callers still find them in the app's services (moved here
from core's tests: core knows no app)."""

from __future__ import annotations

from hotline.core.errors import Conflict, DomainError, NotFound, PermissionRefused, RateLimited


def test_every_apps_errors_stand_on_the_base() -> None:
    from hotline.campaigns import errors as campaigns
    from hotline.cases import errors as cases
    from hotline.intake import errors as intake
    from hotline.referrals import errors as referrals
    from hotline.staff import errors as staff

    assert issubclass(cases.StaleCase, Conflict) and issubclass(cases.CaseError, DomainError)
    assert issubclass(referrals.ReferralNotFound, NotFound) and issubclass(referrals.StalePlan, Conflict)
    assert issubclass(intake.KeyRevoked, PermissionRefused) and issubclass(intake.TooManyRequests, RateLimited)
    assert issubclass(campaigns.RateLimited, RateLimited) and campaigns.LinkExpired("x").status == 410
    assert issubclass(staff.EnrolmentLinkNotValid, DomainError)
    # Where callers have always found them.
    from hotline.cases import services as case_services
    from hotline.intake import services as intake_services
    from hotline.referrals import services as referral_services
    from hotline.staff import services as staff_services

    assert case_services.CaseClaimed is cases.CaseClaimed
    assert referral_services.ReferralError is referrals.ReferralError
    assert intake_services.ReportRejected is intake.ReportRejected
    assert staff_services.StaffError is staff.StaffError
