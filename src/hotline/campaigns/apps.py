"""Petitions with confirmed signatures, and the newsletter with double opt-in."""

from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "hotline.campaigns"
    label = "campaigns"
    verbose_name = "Campaigns"

    def ready(self) -> None:
        from hotline.campaigns import conf
        from hotline.core import conf as core_conf

        core_conf.register_accessors("campaigns.E001", conf.ACCESSORS)
