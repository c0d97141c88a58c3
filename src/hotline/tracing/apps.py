"""Hosting localisation: DNS, IP to country/ASN, RDAP abuse contacts, CDN flags, re-checks."""

from django.apps import AppConfig


class TracingConfig(AppConfig):
    name = "hotline.tracing"
    label = "tracing"
    verbose_name = "Tracing"
