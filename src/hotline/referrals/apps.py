"""Referral rules, police packages, notices to hosts, delivery states, removal tracking."""

from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "hotline.referrals"
    label = "referrals"
    verbose_name = "Referrals"
