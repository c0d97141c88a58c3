"""RDAP (RFC 9083) for IP networks: bootstrap (RFC 9224), a small HTTP client, and the entity parser.

The client only ever talks to RDAP servers named in the bootstrap: redirects to any other host are
refused before a connection is made, and so is any URL whose host is the traced host or one of its
addresses. Answers are bounded in time and size.
"""

from __future__ import annotations

import ipaddress
import json
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
    found: bool = True  # False: the server has no record for the address (404)

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


def _text(value: Any, limit: int = 255) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


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


def vcard_emails(entity: dict[str, Any]) -> list[str]:
    emails = []
    for prop in vcard_props(entity):
        if prop[0].lower() != "email":
            continue
        value = prop[3]
        if not isinstance(value, str):
            continue
        value = value.strip()
        if value.lower().startswith("mailto:"):
            value = urllib.parse.unquote(value[7:]).split("?")[0]
        try:
            validate_email(value)
        except ValidationError:
            continue
        local, _, domain = value.rpartition("@")
        emails.append(f"{local}@{domain.lower()}"[:254])
    return emails


def _entities(doc: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    """Every entity of the object, nested ones included, shallowest first (bounded)."""
    out: list[tuple[int, dict[str, Any]]] = []
    queue: deque[tuple[int, Any]] = deque((1, e) for e in (doc.get("entities") or []) if isinstance(e, dict))
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


def _cidr(doc: dict[str, Any], start: str, end: str) -> str:
    for item in doc.get("cidr0_cidrs") or []:
        if isinstance(item, dict):
            prefix = item.get("v4prefix") or item.get("v6prefix")
            length = item.get("length")
            if isinstance(prefix, str) and isinstance(length, int):
                try:
                    return str(ipaddress.ip_network(f"{prefix}/{length}", strict=False))
                except ValueError:
                    continue
    if start and end:
        try:
            first, last = ipaddress.ip_address(start), ipaddress.ip_address(end)
            nets = list(ipaddress.summarize_address_range(first, last))  # type: ignore[arg-type]
        except (ValueError, TypeError):
            return ""
        return str(nets[0]) if len(nets) == 1 else f"{start} - {end}"
    return ""


def parse_ip_network(doc: Any, *, server: str = "") -> RdapNetwork:
    """The facts of an RFC 9083 'ip network' object. Raises TraceFailure(RDAP_MALFORMED) if it is none."""
    if not isinstance(doc, dict):
        raise TraceFailure(FailureCode.RDAP_MALFORMED, "answer is not a JSON object")
    if "errorCode" in doc and "objectClassName" not in doc:
        raise TraceFailure(FailureCode.RDAP_MALFORMED, f"error object with code {doc.get('errorCode')!r}")
    if doc.get("objectClassName", "ip network") != "ip network":
        raise TraceFailure(FailureCode.RDAP_MALFORMED, f"object class {_text(doc.get('objectClassName'), 40)!r}")
    start, end = _text(doc.get("startAddress"), 45), _text(doc.get("endAddress"), 45)
    for value in (start, end):
        if value:
            try:
                ipaddress.ip_address(value)
            except ValueError as exc:
                raise TraceFailure(FailureCode.RDAP_MALFORMED, "start/end address is not an IP address") from exc
    entities = _entities(doc)
    abuse = ""
    for _, entity in entities:
        if "abuse" in _roles(entity):
            emails = vcard_emails(entity)
            if emails:
                abuse = emails[0]
                break
    holder = ""
    for _, entity in entities:
        if "registrant" in _roles(entity):
            holder = vcard_name(entity) or _text(entity.get("handle"))
            if holder:
                break
    country = _text(doc.get("country"), 2).upper()
    return RdapNetwork(
        server=server,
        handle=_text(doc.get("handle"), 100),
        name=_text(doc.get("name")),
        country=country if country.isalpha() and len(country) == 2 else "",
        cidr=_cidr(doc, start, end)[:100],
        start=start,
        end=end,
        holder=holder,
        abuse_email=abuse,
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
