"""What the insights exports part registers at start-up: the sentence its audit entries read as."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def ready() -> None:
    from hotline.staff import audit_words

    audit_words.register(
        sentences={"insights.exported": _("Downloaded a statistics table")},
        parts={},
        objects={},
    )
