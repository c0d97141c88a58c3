"""The hand-over files of a petition on disk: a PDF (title page, summary by county, then names and
municipalities) and a CSV guarded against formula injection, never any email address. Written, found
and removed here; the PetitionExport rows, their progress and audit are services/exports.py's.
100,000 signatures take seconds (see bench/campaigns.py)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from hotline.campaigns import conf, places, rules, selectors
from hotline.campaigns.models import ExportKind, Petition, PetitionExport
from hotline.core import csv as safe_csv
from hotline.core import pdf_fonts


@dataclass(frozen=True)
class ExportResult:
    rows: int
    size: int


@dataclass(frozen=True)
class Signer:
    name: str
    place: str
    confirmed_at: datetime | None


def path_of(export: PetitionExport) -> Path:
    return conf.export_dir() / export.file_name


def remove_file(export: PetitionExport) -> None:
    for candidate in (path_of(export), path_of(export).with_suffix(".part")):
        candidate.unlink(missing_ok=True)


def build(export: PetitionExport, *, progress: Callable[[int], None]) -> ExportResult:
    """Write the file next to its final name, then rename (a crash never leaves half a file behind).

    `progress` hears 0–100 as the work goes: reading the signers is the first 40 %, writing the rest.
    """
    petition = Petition.objects.get(pk=export.petition_id)
    language = export.language
    with translation.override(language):
        signers = load_signers(petition, total=petition.signature_count, progress=lambda p: progress(p * 40 // 100))
        target = path_of(export)
        partial = target.with_suffix(".part")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.close(fd)

        def render_progress(p: int) -> None:
            progress(40 + p * 60 // 100)

        if export.kind == ExportKind.PDF:
            write_pdf(partial, petition, signers, progress=render_progress)
        else:
            write_csv(partial, signers, progress=render_progress)
        os.replace(partial, target)
    return ExportResult(rows=len(signers), size=target.stat().st_size)


def load_signers(petition: Petition, *, total: int, progress: Callable[[int], None]) -> list[Signer]:
    signers = []
    for n, (_pk, name, municipality, country, confirmed_at) in enumerate(selectors.confirmed_signers(petition), 1):
        signers.append(
            Signer(
                name=name,
                place=places.place_label(municipality=municipality, country=country),
                confirmed_at=confirmed_at,
            )
        )
        if n % 2000 == 0:
            progress(rules.percent(n, total))
    progress(100)
    return signers


def write_csv(path: Path, signers: list[Signer], *, progress: Callable[[int], None]) -> None:
    tz = timezone.get_current_timezone()
    with open(path, "w", encoding="utf-8-sig", newline="") as f:  # BOM: Excel opens å ä ö correctly
        f.write(safe_csv.format_row([_("Name"), _("Municipality or country"), _("Confirmed")]))
        for n, signer in enumerate(signers, 1):
            when = signer.confirmed_at.astimezone(tz).strftime("%Y-%m-%d") if signer.confirmed_at else ""
            f.write(safe_csv.format_row([signer.name, signer.place, when]))
            if n % 5000 == 0:
                progress(rules.percent(n, len(signers)))
    progress(100)


# --- PDF ---------------------------------------------------------------------------------------


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        words = paragraph.split()
        if not words:
            lines.append("")
            continue
        line = words[0]
        for word in words[1:]:
            candidate = f"{line} {word}"
            if pdfmetrics.stringWidth(candidate, font, size) <= width:
                line = candidate
            else:
                lines.append(line)
                line = word
        lines.append(line)
    return lines


def _fit(text: str, font: str, size: float, width: float) -> str:
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


def write_pdf(path: Path, petition: Petition, signers: list[Signer], *, progress: Callable[[int], None]) -> None:
    regular, bold = pdf_fonts.fonts()
    page_w, page_h = A4
    margin = 20 * mm
    width = page_w - 2 * margin
    canvas = Canvas(str(path), pagesize=A4, pageCompression=1)
    canvas.setTitle(petition.title)
    canvas.setAuthor(settings.HOTLINE_ORGANISATION)
    canvas.setSubject(_("Petition hand-over"))
    today = formats.date_format(timezone.localdate(), "DATE_FORMAT")
    page_number = [0]

    def footer() -> None:
        page_number[0] += 1
        canvas.setFont(regular, 8)
        canvas.drawString(margin, 10 * mm, _fit(petition.title, regular, 8, width * 0.7))
        canvas.drawRightString(page_w - margin, 10 * mm, _("Page %(n)d") % {"n": page_number[0]})

    # Title page: who, what, how many, when.
    y = page_h - margin
    canvas.setFont(regular, 10)
    canvas.drawString(margin, y, settings.HOTLINE_ORGANISATION)
    y -= 14 * mm
    canvas.setFont(bold, 20)
    for line in _wrap(petition.title, bold, 20, width):
        canvas.drawString(margin, y, line)
        y -= 9 * mm
    canvas.setFont(regular, 12)
    y -= 2 * mm
    canvas.drawString(margin, y, _fit(_("To: %(recipient)s") % {"recipient": petition.recipient}, regular, 12, width))
    y -= 10 * mm
    canvas.setFont(bold, 16)
    canvas.drawString(margin, y, _("%(count)s confirmed signatures") % {"count": f"{len(signers):,}".replace(",", " ")})
    y -= 7 * mm
    canvas.setFont(regular, 11)
    canvas.drawString(margin, y, _("Handed over on %(date)s") % {"date": today})
    y -= 12 * mm
    text_lines = _wrap(petition.text, regular, 11, width)
    for line in text_lines:
        if y < 20 * mm:
            footer()
            canvas.showPage()
            canvas.setFont(regular, 11)
            y = page_h - margin
        canvas.drawString(margin, y, line)
        y -= 5.2 * mm
    y -= 6 * mm
    note = _("Each signature was confirmed by its signer through a link sent to their email address.")
    canvas.setFont(regular, 9)
    for line in _wrap(note, regular, 9, width):
        if y < 20 * mm:
            footer()
            canvas.showPage()
            canvas.setFont(regular, 9)
            y = page_h - margin
        canvas.drawString(margin, y, line)
        y -= 4.5 * mm
    footer()
    canvas.showPage()

    # Summary: signatures per county (and abroad).
    y = page_h - margin
    canvas.setFont(bold, 14)
    canvas.drawString(margin, y, _("Signatures by county"))
    y -= 10 * mm
    canvas.setFont(regular, 10)
    for county, count in selectors.counts_by_county(petition):
        if y < 20 * mm:
            footer()
            canvas.showPage()
            canvas.setFont(regular, 10)
            y = page_h - margin
        canvas.drawString(margin, y, county)
        canvas.drawRightString(margin + 110 * mm, y, f"{count:,}".replace(",", " "))
        y -= 5.5 * mm
    footer()
    canvas.showPage()

    # Names and municipalities, two columns per page.
    line_h = 4.6 * mm
    top = page_h - margin - 8 * mm
    rows_per_col = int((top - 18 * mm) // line_h)
    col_w = (width - 8 * mm) / 2
    name_w, place_w = col_w * 0.6, col_w * 0.38
    per_page = rows_per_col * 2
    total = len(signers)
    header_name, header_place = _("Name"), _("Municipality or country")
    for start in range(0, total, per_page) if total else []:
        canvas.setFont(bold, 9)
        for col in range(2):
            x = margin + col * (col_w + 8 * mm)
            canvas.drawString(x, page_h - margin, header_name)
            canvas.drawString(x + name_w + 2 * mm, page_h - margin, header_place)
        canvas.setFont(regular, 9)
        chunk = signers[start : start + per_page]
        for i, signer in enumerate(chunk):
            col, row = divmod(i, rows_per_col)
            x = margin + col * (col_w + 8 * mm)
            y = top - row * line_h
            canvas.drawString(x, y, _fit(signer.name, regular, 9, name_w))
            canvas.drawString(x + name_w + 2 * mm, y, _fit(signer.place, regular, 9, place_w))
        footer()
        canvas.showPage()
        progress(rules.percent(min(total, start + per_page), total))
    canvas.save()
    progress(100)
