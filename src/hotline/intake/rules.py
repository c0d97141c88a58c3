"""Rules for what a report may contain: plain functions, no database, messages a person understands."""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from hotline.cases.canonical import HostScope, host_scope, ip_address_in_host
from hotline.cases.models import NexusHint, ReportKind
from hotline.cases.rules import HashInput, report_hash_problems
from hotline.core.text import text_problem
from hotline.intake import conf

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_\-]{0,61}[a-z0-9_])?$")
_CLASSIFICATION = re.compile(r"^[A-Za-z0-9_.:\-]+$")
# Any whitespace (str.isspace(): re's \s on str patterns is the same test) or a control character.
_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f]")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,4})?$")

# Choice values as sets: an enum's `.values` builds a new list on every call.
KINDS = frozenset(ReportKind.values)
NEXUS_VALUES = frozenset(NexusHint.values)

MSG_NOT_URL = _("This is not a web address. Check it, for example https://www.example.com/page.")
MSG_SCHEME = _("Only web addresses (starting with http:// or https://) can be reported here.")
MSG_PRIVATE = _(
    "This address points to a private, local or loopback network (such as 192.168.x.x or localhost), "
    "which cannot be reached from the internet."
)
MSG_UNKNOWN_TOP_LEVEL = _(
    "This address ends in a name that does not exist on the internet (such as .intranet or .lan), so it can only "
    "be reached inside someone's own network. Check the spelling."
)
MSG_EMPTY_REPORT = _("Write at least one web address or describe what you saw.")


class UrlProblem(ValueError):
    """A reported URL that cannot be accepted; `code` is stable, the message is for people."""

    def __init__(self, code: str, message: str | Promise):
        super().__init__(str(message))
        self.code = code
        self.message = message


def too_long_message(limit: int) -> str:
    return str(
        ngettext_lazy(
            "This address is too long (at most %(max)d character).",
            "This address is too long (at most %(max)d characters).",
            limit,
        )
        % {"max": limit}
    )


def _refuse_if_not_public(host: str) -> None:
    """The one public-host policy (cases.canonical.host_scope, docs/url-rules.md): intake refuses every
    host that cannot be reached from the internet, with a message saying why."""
    scope = host_scope(host)
    if scope is HostScope.UNKNOWN_TOP_LEVEL:
        raise UrlProblem("private_host", MSG_UNKNOWN_TOP_LEVEL)
    if scope is not HostScope.PUBLIC:
        raise UrlProblem("private_host", MSG_PRIVATE)


def _check_hostname(host: str) -> None:
    name = host.rstrip(".")
    if not name:
        raise UrlProblem("not_url", MSG_NOT_URL)
    try:
        ascii_name = name.encode("idna").decode("ascii") if not name.isascii() else name
    except UnicodeError as exc:
        raise UrlProblem("not_url", MSG_NOT_URL) from exc
    labels = ascii_name.lower().split(".")
    if host_scope(ascii_name) is HostScope.SPECIAL_USE_NAME:  # localhost is one label, and still "local"
        raise UrlProblem("private_host", MSG_PRIVATE)
    if len(ascii_name) > 253 or len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise UrlProblem("not_url", MSG_NOT_URL)
    if labels[-1].isdigit():
        raise UrlProblem("not_url", MSG_NOT_URL)
    _refuse_if_not_public(ascii_name)


def clean_reported_url(raw: str) -> str:
    """The URL as it will be stored: trimmed, with http:// added when the scheme was left out.

    Raises UrlProblem with code not_url, private_host or too_long. Never resolves or requests the URL.
    """
    value = (raw or "").strip()
    limit = conf.max_url_length()
    if not value:
        raise UrlProblem("not_url", MSG_NOT_URL)
    if len(value) > limit:
        raise UrlProblem("too_long", too_long_message(limit))
    if _SPACE_OR_CONTROL.search(value):
        raise UrlProblem("not_url", MSG_NOT_URL)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:  # lone surrogates from JSON "\ud800"
        raise UrlProblem("not_url", MSG_NOT_URL) from exc
    if "://" not in value:
        if _SCHEME.match(value) and not re.match(r"^[^:/]+:\d+(/|$)", value):
            raise UrlProblem("not_url", MSG_SCHEME)  # mailto:, javascript:, data: ...
        value = "http://" + value
        if len(value) > limit:
            raise UrlProblem("too_long", too_long_message(limit))
    try:
        parts = urlsplit(value)
        host = parts.hostname or ""
        parts.port  # noqa: B018  (raises ValueError on a bad port)
    except ValueError as exc:
        raise UrlProblem("not_url", MSG_NOT_URL) from exc
    if parts.scheme.lower() not in {"http", "https"}:
        raise UrlProblem("not_url", MSG_SCHEME)
    if not host:
        raise UrlProblem("not_url", MSG_NOT_URL)
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address | None
    try:
        ip = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        ip = ip_address_in_host(host)
    if ip is not None:
        _refuse_if_not_public(str(ip))
        return value
    _check_hostname(host)
    return value


# At most this many hashes with one partner API report (the network protocol's own limit is the same).
MAX_API_HASHES = 100


@dataclass
class ReportInput:
    """A report as a reporter or partner sent it, before it is stored."""

    kind: str = ReportKind.ONLINE_MATERIAL
    urls: list[str] = field(default_factory=list)
    where_seen: str = ""
    description: str = ""
    contact: str = ""
    reporter_classification: str = ""
    nexus_victim: str = NexusHint.UNKNOWN
    nexus_offender: str = NexusHint.UNKNOWN
    nexus_place: str = NexusHint.UNKNOWN
    language: str = "sv"


@dataclass
class PartnerReportInput(ReportInput):
    """A partner API report: a report and the hashes the partner's own tools made of the material (checked by
    cases' rules, stored as cases.ReportHash with the report)."""

    hashes: list[HashInput] = field(default_factory=list)


def hashes_of(report: ReportInput) -> list[HashInput]:
    """The hashes a report carries (only a partner's report can)."""
    return list(report.hashes) if isinstance(report, PartnerReportInput) else []


def dedupe(urls: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    return [u for u in urls if not (u in seen or seen.add(u))]  # type: ignore[func-returns-value]


def report_problems(report: ReportInput) -> dict[str, str]:
    """Field -> message for everything wrong with a report (empty dict: it can be stored).

    URL fields are named `urls.<i>` (0-based). The input's urls are replaced by their cleaned form.
    """
    problems: dict[str, str] = {}
    if report.kind not in KINDS:
        problems["kind"] = str(_("Choose what the report is about."))
    cleaned: list[str] = []
    if len(report.urls) > conf.max_urls():
        problems["urls"] = str(
            ngettext_lazy(
                "You can report at most %(max)d address at a time.",
                "You can report at most %(max)d addresses at a time.",
                conf.max_urls(),
            )
            % {"max": conf.max_urls()}
        )
    for i, url in enumerate(report.urls):
        try:
            cleaned.append(clean_reported_url(url))
        except UrlProblem as exc:
            problems[f"urls.{i}"] = str(exc.message)
    for name, limit in (
        ("where_seen", conf.MAX_WHERE_SEEN),
        ("description", conf.MAX_DESCRIPTION),
        ("contact", conf.MAX_CONTACT),
    ):
        problem = text_problem(getattr(report, name), limit=limit)
        if problem:
            problems[name] = problem
    rc = report.reporter_classification
    if rc and (len(rc) > conf.MAX_CLASSIFICATION or not _CLASSIFICATION.match(rc)):
        problems["reporter_classification"] = str(
            _("Use at most 64 letters, digits and the characters _ . : - for the classification.")
        )
    for name in ("nexus_victim", "nexus_offender", "nexus_place"):
        if getattr(report, name) not in NEXUS_VALUES:
            problems[name] = str(_("Answer yes, no or don't know."))
    if not _LANGUAGE.match(report.language or ""):
        problems["language"] = str(_("Give the language as a code such as sv or en."))
    if not report.urls and not report.description.strip() and "description" not in problems:
        problems["description"] = str(MSG_EMPTY_REPORT)
    if not problems:
        report.urls = dedupe(cleaned)
    return problems


_CHECKED = object()


class CheckedReport:
    """A ReportInput that passed `report_problems` (its URLs cleaned), made only by `check_report`.

    Lets a caller that already validated a report hand it to the service without a second validation;
    the service still validates everything it gets in any other form.
    """

    __slots__ = ("data",)

    def __init__(self, data: ReportInput, token: object):
        if token is not _CHECKED:
            raise TypeError("A CheckedReport is only made by check_report().")
        self.data = data


def check_report(report: ReportInput) -> tuple[CheckedReport | None, dict[str, str]]:
    """(CheckedReport, {}) when the report can be stored, else (None, problems) as report_problems gives them."""
    problems = report_problems(report)
    return (None if problems else CheckedReport(report, _CHECKED)), problems


# --- own images: the hashes /report/own-images/ posts (computed on the reporter's device) ---------------
# Generous for one file's JSON (two hex digests, a PDQ hash and its quality, keys, punctuation): a longer
# field is refused before it is parsed.
OWN_IMAGES_BYTES_PER_FILE = 400
MSG_OWN_IMAGES_NONE = _("Choose at least one picture or video. Only its hashes are sent, never the file.")
MSG_OWN_IMAGES_BROKEN = _(
    "The hashes from your browser did not arrive complete. Choose the files again, or use the ordinary report form."
)


def _file_hashes(item: object) -> list[HashInput] | None:
    """One file's entry ({"sha256", "md5", "pdq"?, "quality"?}) as hashes, or None when it has not that shape."""
    if not isinstance(item, dict) or set(item) - {"sha256", "md5", "pdq", "quality"}:
        return None
    sha256, md5, pdq, quality = item.get("sha256"), item.get("md5"), item.get("pdq"), item.get("quality")
    if not isinstance(sha256, str) or not isinstance(md5, str) or not isinstance(pdq, str | None):
        return None
    if pdq is None and quality is not None:
        return None
    hashes = [HashInput("sha256", sha256), HashInput("md5", md5)]
    if pdq is not None:
        hashes.append(HashInput("pdq", pdq, quality))  # type: ignore[arg-type]  # checked by report_hash_problems
    return hashes


def own_images_hashes(raw: str, *, max_files: int) -> tuple[list[HashInput], dict[str, str]]:
    """The hashes of the posted `hashes` field (a JSON list, one object a file), and {"hashes": message} for
    what is wrong (then no hashes): none, too many files, or a value that is not a hash of its kind."""
    if not raw or not raw.strip():
        return [], {"hashes": str(MSG_OWN_IMAGES_NONE)}
    too_many = ngettext_lazy(
        "You can send the hashes of at most %(max)d file at a time. Send the rest in another report.",
        "You can send the hashes of at most %(max)d files at a time. Send the rest in another report.",
        max_files,
    ) % {"max": max_files}
    if len(raw) > OWN_IMAGES_BYTES_PER_FILE * (max_files + 1):
        return [], {"hashes": str(too_many)}
    try:
        files = json.loads(raw)
    except ValueError:
        return [], {"hashes": str(MSG_OWN_IMAGES_BROKEN)}
    if not isinstance(files, list):
        return [], {"hashes": str(MSG_OWN_IMAGES_BROKEN)}
    if not files:
        return [], {"hashes": str(MSG_OWN_IMAGES_NONE)}
    if len(files) > max_files:
        return [], {"hashes": str(too_many)}
    hashes: list[HashInput] = []
    for number, item in enumerate(files, start=1):
        found = _file_hashes(item)
        problems = report_hash_problems(found) if found is not None else {"": str(MSG_OWN_IMAGES_BROKEN)}
        if problems:
            detail = next(iter(problems.values()))
            return [], {"hashes": str(_("File %(number)d: %(problem)s") % {"number": number, "problem": detail})}
        hashes += found or []
    return hashes, {}


def own_images_message_problem(message: str) -> str | None:
    """What is wrong with the optional message sent with the hashes (None: nothing)."""
    return text_problem(message, limit=conf.MAX_DESCRIPTION) if message else None
