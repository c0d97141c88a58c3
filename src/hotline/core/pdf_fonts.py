"""The font of every PDF Hotline makes (petition exports, the yearly results): DejaVu Sans from Debian's
fonts-dejavu-core (Latin with Swedish letters, Greek, Cyrillic, ×), registered once per process, or
reportlab's built-in Helvetica where DejaVu is not installed."""

from __future__ import annotations

from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_DIRS = ("/usr/share/fonts/truetype/dejavu",)


def fonts() -> tuple[str, str]:
    """(regular, bold) font names to use in reportlab."""
    for directory in FONT_DIRS:
        regular, bold = Path(directory, "DejaVuSans.ttf"), Path(directory, "DejaVuSans-Bold.ttf")
        if regular.exists() and bold.exists():
            if "HotlineSans" not in pdfmetrics.getRegisteredFontNames():
                pdfmetrics.registerFont(TTFont("HotlineSans", str(regular)))
                pdfmetrics.registerFont(TTFont("HotlineSans-Bold", str(bold)))
            return "HotlineSans", "HotlineSans-Bold"
    return "Helvetica", "Helvetica-Bold"
