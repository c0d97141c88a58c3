"""The canonical form of a reported URL (one case per canonical URL), its registered domain, and
whether its host can be reached from the internet (one policy for intake and triage).

Pure functions: no database, no network, no Django models. The URL is parsed as browsers parse it
(the WHATWG URL Standard, by ada, the parser of Node.js); on top of that come only the rules of
deduplication. Every rule is written down, with examples, the deliberate differences from the
standard and the reasons, in docs/url-rules.md; keep the two in step.
"""

from __future__ import annotations

import enum
import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass

import ada_url
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from hotline.cases import conf, suffixes

ALLOWED_SCHEMES = frozenset({"http", "https"})

# Longer input is refused rather than stored: real links stay far below this, and a cap keeps
# the worst case of every step (and of the blind index) bounded.
MAX_URL_LENGTH = 16_384
MAX_HOST_LENGTH = 253  # DNS limit, and Case.host's max_length
MAX_LABEL_LENGTH = 63

# Query parameters that only say where a click came from. An entry ending in "*" is a prefix.
# Matching is case-insensitive on the percent-decoded name (see docs/url-rules.md).
DEFAULT_TRACKING_PARAMS: tuple[str, ...] = (
    "utm_*",  # Google Analytics / everyone: utm_source, utm_medium, utm_campaign, ...
    "fbclid",  # Facebook
    "gclid",  # Google Ads
    "dclid",  # Google Display
    "gbraid",  # Google Ads (iOS)
    "wbraid",  # Google Ads (web to app)
    "msclkid",  # Microsoft Ads
    "mc_eid",  # Mailchimp e-mail id
    "mc_cid",  # Mailchimp campaign id
    "igshid",  # Instagram share
    "yclid",  # Yandex
    "_ga",  # Google Analytics cross-domain linker
    "_gl",  # Google Analytics cross-domain linker (gtag)
    "_hsenc",  # HubSpot
    "_hsmi",  # HubSpot
    "mkt_tok",  # Marketo
    "ttclid",  # TikTok
    "twclid",  # Twitter/X
    "li_fat_id",  # LinkedIn
    "oly_anon_id",  # Omeda
    "oly_enc_id",  # Omeda
    "vero_id",  # Vero
    "rb_clickid",  # Rakuten
    "s_cid",  # Adobe
)

_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

_SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_PORT_AFTER_HOST_RE = re.compile(r"\d+(?:[/\\?#]|$)")
_AUTHORITY_END_RE = re.compile(r"[/\\?#]")
_LABEL_RE = re.compile(r"[a-z0-9_\-]+")
_PERCENT_OR_OTHER_RE = {
    "path": re.compile(r"%(?:[0-9A-Fa-f]{2})?|[^A-Za-z0-9\-._~!$&'()*+,;=:@/]"),
    "query": re.compile(r"%(?:[0-9A-Fa-f]{2})?|[^A-Za-z0-9\-._~!$&'()*+,;=:@/?]"),
}
_C0_AND_SPACE = "".join(chr(i) for i in range(0x21))
_TAB_NEWLINE = str.maketrans("", "", "\t\n\r")
_IPV4_RE = re.compile(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}")
_HOST_TYPE_IPV4 = ada_url.HostType.IPV4
_HOST_TYPE_IPV6 = ada_url.HostType.IPV6

# Special-use names (the IANA registry, RFC 6761) that only ever point into someone's own network:
# localhost (RFC 6761), local (mDNS, RFC 6762), home.arpa (RFC 8375), internal (ICANN, 2024), alt
# (RFC 9476). Any other name whose top-level domain the suffix list does not know (intranet, lan,
# corp, ...) is not public either: the root of the DNS has no such domain.
_SPECIAL_USE_NAMES = ("localhost", "local", "home.arpa", "internal", "alt")
# Reserved names (RFC 2606, RFC 6761) counted as public on purpose: test and demo data use them,
# and in production they simply never resolve.
_RESERVED_PUBLIC_NAMES = frozenset({"test", "example", "invalid"})
_NON_PUBLIC_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",  # "this network"
        "10.0.0.0/8",  # private (RFC 1918)
        "100.64.0.0/10",  # carrier-grade NAT
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link-local
        "172.16.0.0/12",  # private (RFC 1918)
        "192.0.0.0/24",  # IETF protocol assignments
        "192.168.0.0/16",  # private (RFC 1918)
        "198.18.0.0/15",  # benchmarking
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, and broadcast
        "::/128",  # unspecified
        "::1/128",  # loopback
        "100::/64",  # discard
        "64:ff9b:1::/48",  # local-use NAT64
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
        "ff00::/8",  # multicast
    )
)


class UnacceptableUrl(Exception):
    """The text cannot be handled as a web address. `reason` is for people (translated);
    `code` is stable for programs ("empty", "too_long", "scheme", "host", "port", "ip")."""

    def __init__(self, reason: str | Promise, *, code: str = "invalid"):
        super().__init__(reason)
        self.reason = reason
        self.code = code

    def __str__(self) -> str:
        return str(self.reason)


@dataclass(frozen=True)
class CanonicalUrl:
    """A URL in canonical form. `host` is ASCII (punycode), IPv6 without brackets;
    `port` is None for the scheme's default; `registered_domain` is "" for IPs and single labels."""

    url: str
    scheme: str
    host: str
    port: int | None
    registered_domain: str
    is_ip: bool

    def __str__(self) -> str:
        return self.url


# --- registered domain and public hosts ----------------------------------------------------
def registered_domain(host: str) -> str:
    """The registrable domain of a canonical host: the public suffix plus one label, from the
    Public Suffix List (cases.suffixes).

    Private suffixes of the list count (user.github.io, name.blogspot.com are each somebody's
    own site); a host that is itself a public or private suffix (co.uk, github.io) has none, as the
    list's own tests say. A suffix the list does not know counts as one label, as the list's default
    rule "*" says (so a.b.example.test -> example.test). IPs and single-label hosts have none ("").
    """
    if not host or "." not in host or _is_ip_text(host):
        return ""
    return suffixes.registered_domain_of_name(host)


def _is_ip_text(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class HostScope(enum.StrEnum):
    """Where a host can be reached from: the one public-host policy (docs/url-rules.md)."""

    PUBLIC = "public"
    INTERNAL_ADDRESS = "internal_address"  # loopback, private, link-local, ... IP address
    SPECIAL_USE_NAME = "special_use_name"  # localhost, *.local, *.home.arpa, *.internal, *.alt
    UNKNOWN_TOP_LEVEL = "unknown_top_level"  # *.intranet, *.lan, *.corp: no such top-level domain
    SINGLE_LABEL = "single_label"  # "intranet", "nas": only a local resolver answers these


def host_scope(host: str) -> HostScope:
    """Where a host (canonical: ASCII, lower case; brackets and a trailing dot are tolerated) can be
    reached from. Intake refuses every scope but PUBLIC; triage traces only PUBLIC hosts.

    The documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32) and the
    reserved names .test, .example and .invalid count as PUBLIC on purpose: test and demo data use
    them, and in production they never resolve, so a trace simply finds nothing."""
    host = host.strip("[]").rstrip(".").lower()
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        if not host:
            return HostScope.SINGLE_LABEL
        if any(host == s or host.endswith("." + s) for s in _SPECIAL_USE_NAMES):
            return HostScope.SPECIAL_USE_NAME
        if "." not in host:
            return HostScope.SINGLE_LABEL
        top = host.rpartition(".")[2]
        if top in _RESERVED_PUBLIC_NAMES or suffixes.has_known_top_level_domain(host):
            return HostScope.PUBLIC
        return HostScope.UNKNOWN_TOP_LEVEL
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if any(ip in net for net in _NON_PUBLIC_NETWORKS if net.version == ip.version):
        return HostScope.INTERNAL_ADDRESS
    return HostScope.PUBLIC


def ip_address_in_host(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The IP address a browser reads in a host as written ("2130706433", "0x7f.1", "127.1", "[::1]"),
    or None when the host is a name or no valid host at all."""
    try:
        parsed = ada_url.URL(f"http://{host}/")
    except ValueError:
        return None
    if parsed.host_type == _HOST_TYPE_IPV4:
        return ipaddress.IPv4Address(parsed.hostname)
    if parsed.host_type == _HOST_TYPE_IPV6:
        return ipaddress.IPv6Address(parsed.hostname[1:-1])
    return None


def domain_to_ascii(name: str) -> str:
    """A domain name as browsers and mail send it: UTS #46 to A-labels (bücher.example ->
    xn--bcher-kva.example), lower case, no trailing dot. Raises UnacceptableUrl for no valid name."""
    try:
        parsed = ada_url.URL(f"http://{name}/")
    except ValueError:
        raise _bad_host() from None
    if parsed.host_type != ada_url.HostType.DEFAULT:
        raise _bad_host()
    return _project_host(parsed.hostname)


def is_public_host(host: str) -> bool:
    """True when a (canonical) host can be reached from the internet: see host_scope()."""
    return host_scope(host) is HostScope.PUBLIC


# --- tracking parameters --------------------------------------------------------------
_matcher_cache: dict[tuple[str, ...], tuple[frozenset[str], tuple[str, ...]]] = {}


def _tracking_matcher(names: tuple[str, ...]) -> tuple[frozenset[str], tuple[str, ...]]:
    matcher = _matcher_cache.get(names)
    if matcher is None:
        cleaned = [n.strip().lower() for n in names if n and n.strip()]
        exact = frozenset(n for n in cleaned if not n.endswith("*"))
        prefixes = tuple(n[:-1] for n in cleaned if n.endswith("*") and len(n) > 1)
        matcher = (exact, prefixes)
        if len(_matcher_cache) < 64:
            _matcher_cache[names] = matcher
    return matcher


_default_matchers: dict[tuple[str, ...], tuple[frozenset[str], tuple[str, ...]]] = {}


def _configured_matcher() -> tuple[frozenset[str], tuple[str, ...]]:
    extra = conf.tracking_params()
    matcher = _default_matchers.get(extra)
    if matcher is None:
        matcher = _tracking_matcher(DEFAULT_TRACKING_PARAMS + extra)
        if len(_default_matchers) < 64:
            _default_matchers[extra] = matcher
    return matcher


# --- percent-encoding ---------------------------------------------------------------------
def _encode_char(ch: str) -> str:
    return "".join(f"%{b:02X}" for b in ch.encode("utf-8"))


def _percent_repl(match: re.Match[str]) -> str:
    token = match.group(0)
    if token[0] != "%":
        return _encode_char(token)
    if len(token) == 1:  # a "%" not followed by two hex digits is a literal percent sign
        return "%25"
    ch = chr(int(token[1:], 16))
    return ch if ch in _UNRESERVED else token.upper()


def _normalise_percent(text: str, part: str) -> str:
    """Decode escapes of unreserved characters, upper-case the other escapes, encode the rest."""
    return _PERCENT_OR_OTHER_RE[part].sub(_percent_repl, text)


def _percent_decode_name(name: str) -> str:
    if "%" not in name:
        return name
    from urllib.parse import unquote

    return unquote(name, errors="replace")


# --- host -----------------------------------------------------------------------------
def _bad_host() -> UnacceptableUrl:
    return UnacceptableUrl(_("The address has no valid host name."), code="host")


def _bad_ip() -> UnacceptableUrl:
    return UnacceptableUrl(_("The address looks like an IP address but is not a valid one."), code="ip")


def _bad_port() -> UnacceptableUrl:
    return UnacceptableUrl(_("The port number of the address is not valid."), code="port")


def _ends_in_number(labels: list[str]) -> bool:
    """The WHATWG "ends in a number" test: such a host must be an IPv4 address."""
    while len(labels) > 1 and labels[-1] == "":
        labels = labels[:-1]
    last = labels[-1]
    if last.isascii() and last.isdigit():
        return True
    return last[:2] == "0x" and all(c in "0123456789abcdef" for c in last[2:])


def _why_refused(text: str) -> UnacceptableUrl:
    """The reason the WHATWG parser refused `text` (an http(s) URL): it only says "invalid", so the
    authority is looked at once more to tell a bad port, a bad IP address and a bad host name apart."""
    rest = text.split(":", 1)[1].lstrip("/\\")
    end = _AUTHORITY_END_RE.search(rest)
    authority = rest[: end.start() if end else len(rest)].rpartition("@")[2]
    if authority.startswith("["):
        close = authority.find("]")
        after = authority[close + 1 :] if close >= 0 else ""
        if after and not after.startswith(":"):
            return _bad_host()
        port_text = after[1:]
        if port_text and not _port_text_ok(port_text):
            return _bad_port()
        return _bad_ip()
    host_text, colon, port_text = authority.rpartition(":")
    if not colon:
        host_text, port_text = authority, ""
    if port_text and not _port_text_ok(port_text):
        return _bad_port()
    if not host_text:
        return UnacceptableUrl(_("The address has no host name."), code="host")
    if _ends_in_number(host_text.lower().split(".")):
        return _bad_ip()
    return _bad_host()


def _port_text_ok(text: str) -> bool:
    return text.isascii() and text.isdigit() and int(text) <= 65535


def _project_host(hostname: str) -> str:
    """The dedup rules on a host name the WHATWG parser accepted (ASCII, lower case): trailing dots
    removed; a name the DNS cannot hold (empty label, label over 63 or name over 253 octets), with
    characters no registrable name has (anything but a-z 0-9 - _), or one that without its trailing
    dots would read as an IPv4 address is refused."""
    host = hostname.rstrip(".")
    if not host:
        raise _bad_host()
    labels = host.split(".")
    if _ends_in_number(labels):  # "foo.09.." is a name, but "foo.09" would be read as an IPv4 address
        raise _bad_ip()
    if any(not label or not _LABEL_RE.fullmatch(label) for label in labels):
        raise _bad_host()
    if len(host) > MAX_HOST_LENGTH or any(len(label) > MAX_LABEL_LENGTH for label in labels):
        raise UnacceptableUrl(_("The host name is longer than the internet allows."), code="host")
    return host


# --- path and query ---------------------------------------------------------------------
def _canonical_path(path: str) -> str:
    """The dedup rules on a path the WHATWG parser wrote (dot segments already resolved, "\\" already "/"):
    escapes normalised, then empty segments collapsed."""
    if not path:
        return "/"
    path = _normalise_percent(path, "path")
    while "//" in path:
        path = path.replace("//", "/")
    return path


def _canonical_query(query: str, tracking: tuple[frozenset[str], tuple[str, ...]]) -> str:
    exact, prefixes = tracking
    kept = []
    for pair in query.split("&"):
        if not pair:
            continue
        name = _percent_decode_name(pair.split("=", 1)[0]).lower()
        if name in exact or (prefixes and name.startswith(prefixes)):
            continue
        kept.append(_normalise_percent(pair, "query"))
    return "&".join(kept)


# --- the whole URL ------------------------------------------------------------------------
def _with_scheme(text: str) -> str:
    """`text` as an absolute http(s) URL: text without a scheme is read as http (host.example/path)."""
    match = _SCHEME_RE.match(text)
    if match:
        scheme = match.group(1).lower()
        if scheme in ALLOWED_SCHEMES:
            return text
        # "host.example:8080/path" is a host and a port, not a scheme.
        looks_like_host = "." in scheme or scheme == "localhost"
        if not (looks_like_host and _PORT_AFTER_HOST_RE.match(text[match.end() :])):
            raise UnacceptableUrl(_("Only web addresses (http or https) can be handled."), code="scheme")
    if text.startswith(("//", "\\\\")):
        return "http:" + text
    if text[0] in "/\\?#":
        raise UnacceptableUrl(_("The address has no host name."), code="host")
    return "http://" + text


def _split_href(href: str) -> tuple[str, str, str, str, str]:
    """(scheme, host, port, path, query) of an http(s) href as the WHATWG parser serialises it: there
    "@" only ends the user info, "?" and "#" never occur in the path, nor "#" in the query (they are
    percent-encoded), so plain splitting is exact. One string from the parser instead of one call
    per component, which costs more than the split (bench/canonical.py)."""
    scheme, _sep, rest = href.partition("://")
    rest = rest.partition("#")[0]
    rest, _q, query = rest.partition("?")
    authority, slash, path = rest.partition("/")
    authority = authority.rpartition("@")[2]
    if authority.endswith("]"):
        hostname, port = authority, ""
    else:
        hostname, _colon, port = authority.rpartition(":") if ":" in authority else (authority, "", "")
    return scheme, hostname, port, slash + path, query


def parse_whatwg(url: str) -> ada_url.URL:
    """`url` parsed by the WHATWG URL Standard (ada) after the project's input rules: surrounding
    spaces and control characters, tabs and line breaks removed, no scheme read as http, only http and
    https. Raises UnacceptableUrl. The official suites test this step against browsers' answers."""
    if not isinstance(url, str):
        raise UnacceptableUrl(_("The address is empty."), code="empty")
    text = url.strip(_C0_AND_SPACE)
    if "\t" in text or "\n" in text or "\r" in text:
        text = text.translate(_TAB_NEWLINE)
    if not text:
        raise UnacceptableUrl(_("The address is empty."), code="empty")
    if len(text) > MAX_URL_LENGTH:
        raise UnacceptableUrl(_("The address is too long to be handled."), code="too_long")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise UnacceptableUrl(_("The address contains characters that are not text."), code="invalid") from None
    text = _with_scheme(text)
    try:
        return ada_url.URL(text)
    except ValueError:
        raise _why_refused(text) from None


def canonicalize_url(url: str, *, tracking_params: Iterable[str] | None = None) -> CanonicalUrl:
    """The canonical form of `url` (rules: docs/url-rules.md). Raises UnacceptableUrl.

    `tracking_params` replaces the list of dropped query parameters ("utm_*" is a prefix); by
    default it is DEFAULT_TRACKING_PARAMS plus the setting HOTLINE_TRACKING_PARAMS (cases.conf).
    """
    scheme, hostname, port_text, path, query = _split_href(parse_whatwg(url).href)
    if hostname.startswith("["):
        host, is_ip = hostname[1:-1], True
    elif _IPV4_RE.fullmatch(hostname):  # the parser writes IPv4 only so, and no domain ends in a number
        host, is_ip = hostname, True
    else:
        host, is_ip = _project_host(hostname), False
    port = int(port_text) if port_text else None  # "" for the scheme's default: the parser drops it

    path = _canonical_path(path)
    if query:
        matcher = _configured_matcher() if tracking_params is None else _tracking_matcher(tuple(tracking_params))
        query = _canonical_query(query, matcher)

    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc = f"{netloc}:{port}"
    canonical = f"{scheme}://{netloc}{path}"
    if query:
        canonical = f"{canonical}?{query}"
    return CanonicalUrl(
        url=canonical,
        scheme=scheme,
        host=host,
        port=port,
        registered_domain="" if is_ip else suffixes.registered_domain_of_name(host),
        is_ip=is_ip,
    )
