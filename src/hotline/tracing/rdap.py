"""RDAP (RFC 9083) for IP networks: bootstrap (RFC 9224), a small HTTP client, and the entity parser.

The client only ever talks to RDAP servers named in the bootstrap: redirects to any other host are
refused before a connection is made, and so is any URL whose host is the traced host or one of its
addresses. Answers are bounded in time and size.
"""

from __future__ import annotations

import ipaddress
import json
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from hotline.tracing.conf import RdapConfig
from hotline.tracing.failures import FailureCode, TraceFailure

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
USER_AGENT = "Hotline-tracing/1 (RDAP client)"
BOOTSTRAP_MAX_BYTES = 4 * 1024 * 1024
BOOTSTRAP_TTL_SECONDS = 24 * 3600
MAX_REDIRECTS = 3
MAX_ENTITIES = 200
MAX_DEPTH = 6


# --- bootstrap -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Bootstrap:
    entries: tuple[tuple[IPNetwork, str], ...]  # (network, base URL), most specific first

    @property
    def server_hosts(self) -> frozenset[str]:
        return frozenset((urllib.parse.urlsplit(url).hostname or "").lower() for _, url in self.entries)

    def base_url_for(self, ip: str) -> str | None:
        address = ipaddress.ip_address(ip)
        for network, url in self.entries:
            if network.version == address.version and address in network:
                return url
        return None


def parse_bootstrap(documents: list[dict[str, Any]]) -> Bootstrap:
    """Merge IANA-style bootstrap documents; for each range prefer an https base URL."""
    entries: list[tuple[IPNetwork, str]] = []
    for doc in documents:
        services = doc.get("services") if isinstance(doc, dict) else None
        if not isinstance(services, list):
            raise ValueError("bootstrap without a 'services' list")
        for service in services:
            if not (isinstance(service, list) and len(service) >= 2):
                raise ValueError("bootstrap service is not [ranges, urls]")
            ranges, urls = service[0], service[1]
            urls = [u for u in urls if isinstance(u, str) and u.startswith(("https://", "http://"))]
            if not urls:
                continue
            url = next((u for u in urls if u.startswith("https://")), urls[0])
            url = url if url.endswith("/") else url + "/"
            for text in ranges:
                entries.append((ipaddress.ip_network(text, strict=False), url))
    entries.sort(key=lambda item: item[0].prefixlen, reverse=True)
    return Bootstrap(tuple(entries))


_bootstrap_cache: dict[tuple[str, ...], tuple[float, Bootstrap]] = {}
_bootstrap_lock = threading.Lock()


def clear_bootstrap_cache() -> None:
    with _bootstrap_lock:
        _bootstrap_cache.clear()


def load_bootstrap(config: RdapConfig) -> Bootstrap:
    key = config.bootstrap
    with _bootstrap_lock:
        cached = _bootstrap_cache.get(key)
        if cached and time.monotonic() - cached[0] < BOOTSTRAP_TTL_SECONDS:
            return cached[1]
    documents = []
    for source in config.bootstrap:
        try:
            if source.startswith(("http://", "https://")):
                body = _fetch(source, config=config, max_bytes=BOOTSTRAP_MAX_BYTES, accept="application/json")
            else:
                body = Path(source.removeprefix("file://")).read_bytes()[:BOOTSTRAP_MAX_BYTES]
            documents.append(json.loads(body))
        except TraceFailure as failure:
            raise TraceFailure(FailureCode.RDAP_BOOTSTRAP, f"bootstrap {source}: {failure.reason}") from failure
        except _HttpStatus as status:
            raise TraceFailure(FailureCode.RDAP_BOOTSTRAP, f"bootstrap {source}: HTTP {status.status}") from None
        except (OSError, ValueError) as exc:
            raise TraceFailure(FailureCode.RDAP_BOOTSTRAP, f"bootstrap {source}: {type(exc).__name__}") from exc
    try:
        bootstrap = parse_bootstrap(documents)
    except (ValueError, TypeError) as exc:
        raise TraceFailure(FailureCode.RDAP_BOOTSTRAP, f"bootstrap is not IANA-shaped: {exc}") from exc
    with _bootstrap_lock:
        _bootstrap_cache[key] = (time.monotonic(), bootstrap)
    return bootstrap


# --- HTTP ----------------------------------------------------------------------------------------
class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # 3xx surfaces as HTTPError; redirects are followed by hand after checks


def _opener(config: RdapConfig) -> urllib.request.OpenerDirector:
    proxies = {"http": config.proxy, "https": config.proxy} if config.proxy else {}
    return urllib.request.build_opener(urllib.request.ProxyHandler(proxies), _NoRedirect())


def _fetch(url: str, *, config: RdapConfig, max_bytes: int, accept: str) -> bytes:
    """GET one URL (no redirects), bounded by config.timeout overall and max_bytes. Raises TraceFailure."""
    deadline = time.monotonic() + config.timeout
    request = urllib.request.Request(url, headers={"Accept": accept, "User-Agent": USER_AGENT})
    try:
        with _opener(config).open(request, timeout=config.timeout) as response:
            chunks, size = [], 0
            while True:
                if time.monotonic() > deadline:
                    raise TraceFailure(FailureCode.RDAP_TIMEOUT, f"answer took longer than {config.timeout:g} s")
                chunk = response.read(65536)
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise TraceFailure(FailureCode.RDAP_MALFORMED, f"answer larger than {max_bytes} bytes")
                chunks.append(chunk)
            return b"".join(chunks)
    except urllib.error.HTTPError as exc:
        raise _HttpStatus(exc.code, exc.headers.get("Location", "")) from None
    except TimeoutError as exc:
        raise TraceFailure(FailureCode.RDAP_TIMEOUT, f"no answer within {config.timeout:g} s") from exc
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise TraceFailure(FailureCode.RDAP_TIMEOUT, f"no answer within {config.timeout:g} s") from exc
        raise TraceFailure(FailureCode.RDAP_UNAVAILABLE, f"cannot connect ({_reason(exc.reason)})") from exc
    except (OSError, ValueError) as exc:  # reset connections, bad status lines, IncompleteRead
        raise TraceFailure(FailureCode.RDAP_UNAVAILABLE, f"connection failed ({type(exc).__name__})") from exc


def _reason(reason: Any) -> str:
    return getattr(reason, "strerror", None) or type(reason).__name__


class _HttpStatus(Exception):
    def __init__(self, status: int, location: str):
        super().__init__(status)
        self.status = status
        self.location = location


# --- parsing -------------------------------------------------------------------------------------
# Field by field (RFC 9083 as the registries write it): a malformed field is left out and named in
# `problems`, the rest is kept. Only an answer that is no IP network object at all is refused.
MAX_PROBLEMS = 20
_EMAIL_IN_TEXT = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")
# Where an abuse mailbox may be found, in the order they are tried (docs/tracing.md).
ABUSE_FROM_ROLE = "abuse_role"  # the vCard email of the shallowest entity with the role "abuse"
ABUSE_FROM_REMARKS = "remarks"  # a mailbox named in the remarks of the network, then of its entities
ABUSE_FROM_MAILBOX = "abuse_mailbox"  # an abuse@... vCard email of any other entity, shallowest first


@dataclass
class RdapNetwork:
    server: str = ""  # host name of the RDAP server that answered
    handle: str = ""
    name: str = ""
    country: str = ""
    cidr: str = ""  # "192.0.2.0/24", or "start - end" when the range is no single prefix
    start: str = ""
    end: str = ""
    holder: str = ""
    abuse_email: str = ""
    abuse_source: str = ""  # ABUSE_FROM_ROLE, ABUSE_FROM_REMARKS or ABUSE_FROM_MAILBOX
    found: bool = True  # False: the server has no record for the address (404)
    problems: list[str] = field(default_factory=list)  # fields of the answer that were malformed

    def contains(self, ip: str) -> bool:
        if not (self.start and self.end):
            return False
        try:
            address = ipaddress.ip_address(ip)
            first, last = ipaddress.ip_address(self.start), ipaddress.ip_address(self.end)
        except ValueError:
            return False
        return address.version == first.version and first <= address <= last  # type: ignore[operator]

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RdapNetwork:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


class _Problems(list[str]):
    def note(self, text: str) -> None:
        if len(self) < MAX_PROBLEMS:
            self.append(text[:200])


def _text(value: Any, limit: int = 255) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


def _field_text(doc: dict[str, Any], key: str, problems: _Problems, limit: int = 255) -> str:
    value = doc.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        problems.note(f"{key}: not a string")
        return ""
    return value.strip()[:limit]


def read_address(value: str) -> str:
    """An IP address as registries have written it in startAddress/endAddress: plain, with a prefix
    length ("2a00:2381:ffff::/128", "62.239.237.0/32"), or with zero-padded IPv4 parts
    ("074.125.000.000", meant as decimal). Returns the address in its standard form, or raises ValueError."""
    text = value.strip()
    if "/" in text:
        text = str(ipaddress.ip_network(text, strict=False).network_address) if text.count("/") == 1 else ""
    if text.count(".") == 3 and ":" not in text:
        parts = text.split(".")
        if all(p.isascii() and p.isdigit() and len(p) <= 3 for p in parts):
            text = ".".join(str(int(p)) for p in parts)
    return str(ipaddress.ip_address(text))


def _address(doc: dict[str, Any], key: str, problems: _Problems) -> str:
    raw = _field_text(doc, key, problems, 64)
    if not raw:
        return ""
    try:
        address = read_address(raw)
    except ValueError:
        problems.note(f"{key}: {raw!r} is not an IP address")
        return ""
    try:
        ipaddress.ip_address(raw)  # upper case and uncompressed IPv6 are valid spellings: nothing to note
    except ValueError:
        problems.note(f"{key}: {raw!r} read as {address}")
    return address


def vcard_props(entity: dict[str, Any]) -> list[list[Any]]:
    card = entity.get("vcardArray")
    if isinstance(card, list) and len(card) == 2 and card[0] == "vcard" and isinstance(card[1], list):
        return [p for p in card[1] if isinstance(p, list) and len(p) >= 4 and isinstance(p[0], str)]
    return []


def vcard_name(entity: dict[str, Any]) -> str:
    props = vcard_props(entity)
    for key in ("fn", "org"):
        for prop in props:
            if prop[0].lower() == key:
                value = prop[3]
                if isinstance(value, list):
                    value = " ".join(v for v in value if isinstance(v, str))
                if _text(value):
                    return _text(value)
    return ""


def _mailbox(value: str) -> str:
    """A valid email address as stored: domain lower-cased; "" if it is none."""
    value = value.strip()
    if value.lower().startswith("mailto:"):
        value = urllib.parse.unquote(value[7:]).split("?")[0]
    try:
        validate_email(value)
    except ValidationError:
        return ""
    local, _, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"[:254]


def vcard_emails(entity: dict[str, Any], problems: _Problems | None = None) -> list[str]:
    emails = []
    for prop in vcard_props(entity):
        if prop[0].lower() != "email":
            continue
        value = prop[3]
        email = _mailbox(value) if isinstance(value, str) else ""
        if email:
            emails.append(email)
        elif problems is not None:
            problems.note(f"entity {_text(entity.get('handle'), 40)!r}: an email that is not an address")
    return emails


def _remark_emails(obj: dict[str, Any]) -> list[str]:
    """Mailboxes named in remarks of an object that speak of abuse (or are an abuse@ address)."""
    found = []
    remarks = obj.get("remarks")
    for remark in remarks if isinstance(remarks, list) else []:
        lines = remark.get("description") if isinstance(remark, dict) else None
        if not isinstance(lines, list):
            continue
        text = " ".join(line for line in lines if isinstance(line, str))
        for candidate in _EMAIL_IN_TEXT.findall(text):
            email = _mailbox(candidate.rstrip("."))
            if email and ("abuse" in text.lower() or "abuse" in email.lower()):
                found.append(email)
    return found


def _entities(doc: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    """Every entity of the object, nested ones included, shallowest first (bounded)."""
    out: list[tuple[int, dict[str, Any]]] = []
    top = doc.get("entities")
    queue: deque[tuple[int, Any]] = deque((1, e) for e in (top if isinstance(top, list) else []) if isinstance(e, dict))
    while queue and len(out) < MAX_ENTITIES:
        depth, entity = queue.popleft()
        out.append((depth, entity))
        if depth < MAX_DEPTH:
            nested = entity.get("entities") or []
            if isinstance(nested, list):
                queue.extend((depth + 1, e) for e in nested if isinstance(e, dict))
    return out


def _roles(entity: dict[str, Any]) -> set[str]:
    roles = entity.get("roles") or []
    return {r.lower() for r in roles if isinstance(r, str)} if isinstance(roles, list) else set()


def _abuse(doc: dict[str, Any], entities: list[tuple[int, dict[str, Any]]], problems: _Problems) -> tuple[str, str]:
    """(abuse email, where it was found), trying the places in the order of docs/tracing.md."""
    emails_of = [(entity, vcard_emails(entity, problems)) for _depth, entity in entities]
    for entity, emails in emails_of:
        if "abuse" in _roles(entity) and emails:
            return emails[0], ABUSE_FROM_ROLE
    for obj in [doc, *(entity for _depth, entity in entities)]:
        found = _remark_emails(obj)
        if found:
            return found[0], ABUSE_FROM_REMARKS
    for _entity, emails in emails_of:
        for email in emails:
            if email.split("@", 1)[0].lower().startswith("abuse"):
                return email, ABUSE_FROM_MAILBOX
    return "", ""


def _cidr(doc: dict[str, Any], start: str, end: str, problems: _Problems) -> str:
    cidrs = doc.get("cidr0_cidrs")
    for item in cidrs if isinstance(cidrs, list) else []:
        if isinstance(item, dict):
            prefix = item.get("v4prefix") or item.get("v6prefix")
            length = item.get("length")
            if isinstance(prefix, str) and isinstance(length, int):
                try:
                    return str(ipaddress.ip_network(f"{read_address(prefix)}/{length}", strict=False))
                except ValueError:
                    pass
        problems.note("cidr0_cidrs: an entry that is no prefix")
    if start and end:
        try:
            first, last = ipaddress.ip_address(start), ipaddress.ip_address(end)
            nets = list(ipaddress.summarize_address_range(first, last))  # type: ignore[arg-type]
        except (ValueError, TypeError):
            problems.note("startAddress/endAddress: not one range")
            return ""
        return str(nets[0]) if len(nets) == 1 else f"{start} - {end}"
    return ""


def parse_ip_network(doc: Any, *, server: str = "") -> RdapNetwork:
    """The facts of an RFC 9083 'ip network' object, field by field: what is valid is kept, what is not
    is named in `problems`. Raises TraceFailure(RDAP_MALFORMED) only if the answer is no such object."""
    if not isinstance(doc, dict):
        raise TraceFailure(FailureCode.RDAP_MALFORMED, "answer is not a JSON object")
    if "errorCode" in doc and "objectClassName" not in doc:
        raise TraceFailure(FailureCode.RDAP_MALFORMED, f"error object with code {doc.get('errorCode')!r}")
    if doc.get("objectClassName", "ip network") != "ip network":
        raise TraceFailure(FailureCode.RDAP_MALFORMED, f"object class {_text(doc.get('objectClassName'), 40)!r}")
    problems = _Problems()
    start, end = _address(doc, "startAddress", problems), _address(doc, "endAddress", problems)
    if start and end and ipaddress.ip_address(start).version != ipaddress.ip_address(end).version:
        problems.note("startAddress/endAddress: of different IP versions")
        start = end = ""
    if not isinstance(doc.get("entities", []), list):
        problems.note("entities: not a list")
    entities = _entities(doc)
    abuse, abuse_source = _abuse(doc, entities, problems)
    holder = ""
    for _, entity in entities:
        if "registrant" in _roles(entity):
            holder = vcard_name(entity) or _text(entity.get("handle"))
            if holder:
                break
    country = _field_text(doc, "country", problems, 10).upper()
    if country and not (country.isascii() and country.isalpha() and len(country) == 2):
        problems.note(f"country: {country[:10]!r} is no two-letter code")
        country = ""
    return RdapNetwork(
        server=server,
        handle=_field_text(doc, "handle", problems, 100),
        name=_field_text(doc, "name", problems),
        country=country,
        cidr=_cidr(doc, start, end, problems)[:100],
        start=start,
        end=end,
        holder=holder,
        abuse_email=abuse,
        abuse_source=abuse_source,
        problems=list(problems),
    )


# --- lookup --------------------------------------------------------------------------------------
@dataclass
class RdapClient:
    """Looks up IP networks; one per trace, so the forbidden set covers that trace's host and addresses."""

    config: RdapConfig
    forbidden_hosts: frozenset[str] = frozenset()
    requests_made: list[str] = field(default_factory=list)  # host names contacted, for the record

    def lookup(self, ip: str) -> RdapNetwork | None:
        """The network holding `ip`; None when no RDAP service covers the address. Raises TraceFailure."""
        bootstrap = load_bootstrap(self.config)
        base = bootstrap.base_url_for(ip)
        if base is None:
            return None
        allowed = bootstrap.server_hosts
        url = urllib.parse.urljoin(base, "ip/" + urllib.parse.quote(str(ipaddress.ip_address(ip)), safe=":."))
        for _ in range(MAX_REDIRECTS + 1):
            host = self._check(url, allowed)
            self.requests_made.append(host)
            try:
                body = _fetch(url, config=self.config, max_bytes=self.config.max_bytes, accept="application/rdap+json")
            except _HttpStatus as status:
                if status.status in (301, 302, 303, 307, 308) and status.location:
                    url = urllib.parse.urljoin(url, status.location)
                    continue
                if status.status == 404:
                    return RdapNetwork(server=host, found=False)
                if status.status == 429 or status.status >= 500:
                    raise TraceFailure(FailureCode.RDAP_UNAVAILABLE, f"{host} answered HTTP {status.status}") from None
                raise TraceFailure(FailureCode.RDAP_UNAVAILABLE, f"{host} refused with HTTP {status.status}") from None
            try:
                doc = json.loads(body)
            except (ValueError, UnicodeDecodeError) as exc:
                raise TraceFailure(FailureCode.RDAP_MALFORMED, f"{host} sent JSON that does not parse") from exc
            return parse_ip_network(doc, server=host)
        raise TraceFailure(FailureCode.RDAP_REFUSED, f"more than {MAX_REDIRECTS} redirects")

    def _check(self, url: str, allowed: frozenset[str]) -> str:
        parts = urllib.parse.urlsplit(url)
        host = (parts.hostname or "").lower()
        if parts.scheme not in ("http", "https") or not host:
            raise TraceFailure(FailureCode.RDAP_REFUSED, f"not an http(s) URL ({parts.scheme or 'none'})")
        if host in self.forbidden_hosts:
            raise TraceFailure(FailureCode.RDAP_REFUSED, "RDAP URL points at the traced host itself: refused")
        if host not in allowed:
            raise TraceFailure(FailureCode.RDAP_REFUSED, f"redirect to {host}, which is no bootstrap RDAP server")
        return host
