"""Petitions with confirmed signatures, and the newsletter with double opt-in."""

from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "hotline.campaigns"
    label = "campaigns"
    verbose_name = "Campaigns"
