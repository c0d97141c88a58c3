"""The police package: a ZIP holding a PDF summary and the case as JSON (no media), and its SHA-256.

Pure: takes the case data (selectors.police_case_data) and returns bytes. The ZIP entries carry a
fixed timestamp and the PDF is built in reportlab's invariant mode, so the same data gives the
same bytes (and the same checksum).
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

ZIP_DATE = (2000, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class PolicePackage:
    content: bytes  # the ZIP
    sha256: str  # over the ZIP bytes
    files: dict[str, str]  # name -> SHA-256 of each entry
    filename: str


def case_json(data: dict[str, Any]) -> bytes:
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True).encode("utf-8")


def summary_pdf(data: dict[str, Any], *, generated_at: str, language: str = "sv") -> bytes:
    """A short, readable PDF summary of the case data."""
    from xml.sax.saxutils import escape  # nosec B406  # escapes text for reportlab's markup; parses no XML

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = getSampleStyleSheet()
    body = styles["BodyText"]
    mono = styles["Code"]

    def p(text: Any, style: Any = body) -> Paragraph:
        return Paragraph(escape(str(text if text is not None else "")), style)

    buffer = io.BytesIO()
    with translation.override(language):
        doc = SimpleDocTemplate(
            buffer,
            pagesize=A4,
            leftMargin=18 * mm,
            rightMargin=18 * mm,
            topMargin=18 * mm,
            bottomMargin=18 * mm,
            title=f"{data.get('organisation', '')} {data.get('reference', '')}",
            author=str(data.get("organisation", "")),
            invariant=1,
        )
        case = data.get("case") or {}
        assessment = data.get("assessment") or {}
        hosting = data.get("hosting") or {}
        story: list[Any] = [
            Paragraph(escape(_("Police referral %(ref)s") % {"ref": data.get("reference", "")}), styles["Title"]),
            p(_("From %(org)s, generated %(at)s.") % {"org": data.get("organisation", ""), "at": generated_at}),
            p(_("No media is included: the hotline never stores or sends media.")),
            Spacer(1, 4 * mm),
            Paragraph(escape(_("Case")), styles["Heading2"]),
        ]
        rows = [
            [p(_("Case number")), p(case.get("id"))],
            [p(_("Kind")), p(case.get("kind"))],
            [p(_("Created")), p(case.get("created_at"))],
            [p(_("Number of reports")), p(case.get("report_count"))],
            [p(_("Address (URL)")), p(case.get("canonical_url") or "—", mono)],
            [p(_("Host")), p(case.get("host") or "—")],
        ]
        if assessment:
            nexus = assessment.get("national_nexus") or {}
            rows += [
                [p(_("Verdict")), p(assessment.get("verdict"))],
                [p(_("Assessed")), p(assessment.get("assessed_at"))],
                [p(_("Media types")), p(", ".join(assessment.get("media_types") or []) or "—")],
                [
                    p(_("Images / videos")),
                    p(f"{assessment.get('image_count') or 0} / {assessment.get('video_count') or 0}"),
                ],
                [p(_("Victim age group")), p(assessment.get("victim_age_group") or "—")],
                [p(_("Site type")), p(assessment.get("site_type") or "—")],
                [p(_("Commercial")), p(_("yes") if assessment.get("commercial") else _("no"))],
                [
                    p(_("National nexus")),
                    p(", ".join(k for k, v in nexus.items() if v) or _("none recorded")),
                ],
            ]
        rows += [
            [p(_("Hosting country")), p(hosting.get("country") or "—")],
            [p(_("Network")), p(f"{hosting.get('network_name') or '—'} (AS{hosting.get('asn') or '?'})")],
            [p(_("IP addresses")), p(", ".join(hosting.get("ips") or []) or "—")],
            [p(_("Abuse contact")), p(hosting.get("abuse_email") or "—")],
        ]
        table = Table(rows, colWidths=[45 * mm, 125 * mm])
        table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.25, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        story.append(table)
        reports = data.get("reports") or []
        story += [Spacer(1, 4 * mm), Paragraph(escape(_("Reports (%(n)s)") % {"n": len(reports)}), styles["Heading2"])]
        for index, report in enumerate(reports, start=1):
            story.append(
                p(
                    f"{index}. {report.get('received_at')} · {report.get('channel')} · {report.get('kind')}"
                    + (f" · {report.get('source')}" if report.get("source") else "")
                )
            )
            if report.get("description"):
                story.append(p(report["description"]))
            if report.get("where_seen"):
                story.append(p(_("Where seen: %(text)s") % {"text": report["where_seen"]}))
        story += [
            Spacer(1, 4 * mm),
            p(_("The full case data is in the JSON file of this package; its SHA-256 is listed in the manifest.")),
        ]
        doc.build(story)
    return buffer.getvalue()


def build_police_package(data: dict[str, Any], *, generated_at: str, language: str = "sv") -> PolicePackage:
    reference = str(data.get("reference", "case"))
    json_bytes = case_json(data)
    pdf_bytes = summary_pdf(data, generated_at=generated_at, language=language)
    entries = {f"case-{reference}.json": json_bytes, f"summary-{reference}.pdf": pdf_bytes}
    files = {name: hashlib.sha256(content).hexdigest() for name, content in entries.items()}
    manifest = json.dumps(
        {"reference": reference, "generated_at": generated_at, "sha256": files}, indent=2, sort_keys=True
    ).encode()
    entries["manifest.json"] = manifest
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, content)
    content = buffer.getvalue()
    return PolicePackage(
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        files=files,
        filename=f"police-referral-{reference}.zip",
    )
