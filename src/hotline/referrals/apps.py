"""Referral rules, police packages, notices to hosts, delivery states, removal tracking."""

from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "hotline.referrals"
    label = "referrals"
    verbose_name = "Referrals"

    def ready(self) -> None:
        from hotline.core import conf as core_conf
        from hotline.referrals import conf

        core_conf.register_accessors("referrals.E001", conf.ACCESSORS)
