"""The canonical form of a reported URL (one case per canonical URL) and its registered domain.

Pure functions: no database, no network, no Django models. Every rule is written down, with
examples and the things deliberately not done, in docs/url-rules.md; keep the two in step.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import idna
import tldextract
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from hotline.cases import conf

ALLOWED_SCHEMES = frozenset({"http", "https"})
DEFAULT_PORTS = {"http": 80, "https": 443}

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
_SUB_DELIMS = "!$&'()*+,;="
# RFC 3986: path = pchar and "/", query = pchar, "/" and "?"; pchar = unreserved, sub-delims, ":" and "@".
_PATH_LITERAL = _UNRESERVED | frozenset(_SUB_DELIMS + ":@/")
_QUERY_LITERAL = _PATH_LITERAL | frozenset("?")
_HEX = "0123456789ABCDEFabcdef"

_SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_PORT_AFTER_HOST_RE = re.compile(r"\d+(?:[/\\?#]|$)")
_AUTHORITY_END_RE = re.compile(r"[/\\?]")
_LABEL_RE = re.compile(r"[a-z0-9_\-]+")
_PERCENT_OR_OTHER_RE = {
    "path": re.compile(r"%(?:[0-9A-Fa-f]{2})?|[^A-Za-z0-9\-._~!$&'()*+,;=:@/]"),
    "query": re.compile(r"%(?:[0-9A-Fa-f]{2})?|[^A-Za-z0-9\-._~!$&'()*+,;=:@/?]"),
}
_C0_AND_SPACE = "".join(chr(i) for i in range(0x21))
_TAB_NEWLINE = str.maketrans("", "", "\t\n\r")

# Names that only ever point into someone's own network (RFC 6761, RFC 6762, RFC 8375, ICANN .internal).
_NON_PUBLIC_SUFFIXES = ("localhost", "local", "internal", "home.arpa", "lan", "intranet", "localdomain")
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

    @property
    def is_public(self) -> bool:
        return is_public_host(self.host)

    def __str__(self) -> str:
        return self.url


# --- the public suffix list, offline ----------------------------------------------------
# suffix_list_urls=() and cache_dir=None: only the snapshot bundled with tldextract is used,
# never the network (which it would otherwise try without a timeout) and never a cache file.
_SUFFIXES = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True)


def registered_domain(host: str) -> str:
    """The registrable domain of a canonical host: the public suffix plus one label.

    Private suffixes of the list count (user.github.io, name.blogspot.com are each somebody's
    own site); a host that is itself a private suffix (github.io) falls back to the ICANN part.
    A suffix the list does not know counts as one label, as the list's own default rule "*" says
    (so a.b.example.test -> example.test). IPs and single-label hosts have none ("").
    """
    if not host or "." not in host or _is_ip_text(host):
        return ""
    return _registered_domain_of_name(host)


def _registered_domain_of_name(host: str) -> str:
    result = _SUFFIXES.extract_str(host)
    if result.suffix and result.domain:
        return f"{result.domain}.{result.suffix}"
    if result.suffix:  # the host is itself a private suffix, e.g. github.io
        icann = _SUFFIXES.extract_str(host, include_psl_private_domains=False)
        return f"{icann.domain}.{icann.suffix}" if icann.domain and icann.suffix else ""
    # Unknown top-level label: the list's default rule "*".
    return ".".join(host.rsplit(".", 2)[-2:])


def _is_ip_text(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def is_public_host(host: str) -> bool:
    """False when a (canonical) host can only point into someone's own network: loopback,
    private, link-local, carrier-grade NAT, multicast, reserved addresses; localhost, single-label
    names, .local, .internal, .home.arpa, .lan, .intranet, .localdomain. Everything else is
    True, deliberately including the documentation ranges and .test/.example/.invalid names
    (test and demo data use them; in production they simply never resolve)."""
    host = host.strip("[]").rstrip(".").lower()
    if not host:
        return False
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        if "." not in host:
            return False
        return not any(host == s or host.endswith("." + s) for s in _NON_PUBLIC_SUFFIXES)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not any(ip in net for net in _NON_PUBLIC_NETWORKS if net.version == ip.version)


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


def configured_tracking_params() -> tuple[str, ...]:
    """The defaults plus HOTLINE_TRACKING_PARAMS (a list, or a comma-separated string)."""
    return DEFAULT_TRACKING_PARAMS + conf.tracking_params()


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


def _ipv4_number(text: str) -> int | None:
    """One part of an IPv4 address as the WHATWG URL standard reads it: 0x.. hex, 0.. octal, decimal."""
    if not text:
        return None
    if text[:2] == "0x":
        digits, base, allowed = text[2:], 16, "0123456789abcdef"
    elif len(text) > 1 and text[0] == "0":
        digits, base, allowed = text[1:], 8, "01234567"
    else:
        digits, base, allowed = text, 10, "0123456789"
    if not digits:
        return 0
    if len(digits) > 40 or any(c not in allowed for c in digits):
        return None
    return int(digits, base)


def _ends_in_number(labels: list[str]) -> bool:
    last = labels[-1]
    if last.isascii() and last.isdigit():
        return True
    return last[:2] == "0x" and all(c in "0123456789abcdef" for c in last[2:])


def _parse_ipv4(labels: list[str]) -> str:
    if len(labels) > 4:
        raise UnacceptableUrl(_("The address looks like an IP address but is not a valid one."), code="ip")
    numbers = [_ipv4_number(label) for label in labels]
    if any(n is None for n in numbers):
        raise UnacceptableUrl(_("The address looks like an IP address but is not a valid one."), code="ip")
    values: list[int] = [n for n in numbers if n is not None]
    if any(n > 255 for n in values[:-1]) or values[-1] >= 256 ** (5 - len(values)):
        raise UnacceptableUrl(_("The address looks like an IP address but is not a valid one."), code="ip")
    address = values[-1]
    for i, n in enumerate(values[:-1]):
        address += n * 256 ** (3 - i)
    return str(ipaddress.IPv4Address(address))


def _check_unicode_label(label: str) -> None:
    if not label or unicodedata.category(label[0]).startswith("M"):
        raise _bad_host()


def _punycode_label(label: str) -> str:
    """An ASCII label: an xn-- label must be valid punycode of an already-mapped Unicode label."""
    if not _LABEL_RE.fullmatch(label):
        raise _bad_host()
    if label.startswith("xn--"):
        try:
            decoded = label[4:].encode("ascii").decode("punycode")
            valid = (
                not decoded.isascii()
                and idna.uts46_remap(decoded, std3_rules=False, transitional=False) == decoded
                and "xn--" + decoded.encode("punycode").decode("ascii") == label
            )
        except (UnicodeError, idna.IDNAError, ValueError):
            valid = False
        if not valid:
            raise _bad_host()
        _check_unicode_label(decoded)
    return label


def _canonical_host(text: str) -> tuple[str, bool]:
    """(host, is_ip) for the host part of an authority; IPv6 without brackets."""
    if text.startswith("["):
        if not text.endswith("]") or "%" in text:
            raise UnacceptableUrl(_("The address looks like an IP address but is not a valid one."), code="ip")
        try:
            return ipaddress.IPv6Address(text[1:-1]).compressed, True
        except ValueError:
            raise UnacceptableUrl(
                _("The address looks like an IP address but is not a valid one."), code="ip"
            ) from None
    if "%" in text:
        from urllib.parse import unquote_to_bytes

        try:
            text = unquote_to_bytes(text).decode("utf-8")
        except UnicodeDecodeError:
            raise _bad_host() from None
    if text.isascii():
        mapped = text.lower()
    else:
        try:
            mapped = idna.uts46_remap(text, std3_rules=False, transitional=False)
        except (idna.IDNAError, ValueError):
            raise _bad_host() from None
    labels = mapped.split(".")
    while len(labels) > 1 and labels[-1] == "":  # trailing dots: "example.test." is example.test
        labels.pop()
    if not labels[0] and len(labels) == 1:
        raise UnacceptableUrl(_("The address has no host name."), code="host")
    if any(not label for label in labels):
        raise _bad_host()
    if _ends_in_number(labels):
        return _parse_ipv4(labels), True
    out = []
    for label in labels:
        if label.isascii():
            out.append(_punycode_label(label))
        else:
            _check_unicode_label(label)
            encoded = "xn--" + label.encode("punycode").decode("ascii")
            if not _LABEL_RE.fullmatch(encoded):
                raise _bad_host()
            out.append(encoded)
    host = ".".join(out)
    if len(host) > MAX_HOST_LENGTH or any(len(label) > MAX_LABEL_LENGTH for label in out):
        raise UnacceptableUrl(_("The host name is longer than the internet allows."), code="host")
    return host, False


# --- path and query ---------------------------------------------------------------------
def _canonical_path(path: str) -> str:
    if not path:
        return "/"
    path = path.replace("\\", "/")
    path = _normalise_percent(path, "path")
    while "//" in path:
        path = path.replace("//", "/")
    if "." not in path:
        return path
    # Remove "." and ".." segments (RFC 3986 5.2.4); ".." never climbs above the root.
    segments = path.split("/")[1:]
    out: list[str] = []
    last = len(segments) - 1
    for i, segment in enumerate(segments):
        if segment in {".", ".."}:
            if segment == ".." and out:
                out.pop()
            if i == last:
                out.append("")
        else:
            out.append(segment)
    return "/" + "/".join(out)


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
def _split_scheme(text: str) -> tuple[str, str]:
    """(scheme, rest after "scheme:"). Text without a scheme is read as http (host.example/path)."""
    match = _SCHEME_RE.match(text)
    if match:
        scheme = match.group(1).lower()
        rest = text[match.end() :]
        if scheme in ALLOWED_SCHEMES:
            return scheme, rest
        # "host.example:8080/path" is a host and a port, not a scheme.
        looks_like_host = "." in scheme or scheme == "localhost"
        if not (looks_like_host and _PORT_AFTER_HOST_RE.match(rest)):
            raise UnacceptableUrl(_("Only web addresses (http or https) can be handled."), code="scheme")
    if text.startswith(("//", "\\\\")):
        return "http", text
    if text[0] in "/\\?#":
        raise UnacceptableUrl(_("The address has no host name."), code="host")
    return "http", "//" + text


def canonicalize_url(url: str, *, tracking_params: Iterable[str] | None = None) -> CanonicalUrl:
    """The canonical form of `url` (rules: docs/url-rules.md). Raises UnacceptableUrl.

    `tracking_params` replaces the list of dropped query parameters ("utm_*" is a prefix); by
    default it is DEFAULT_TRACKING_PARAMS plus the setting HOTLINE_TRACKING_PARAMS (cases.conf).
    """
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

    scheme, rest = _split_scheme(text)
    rest = rest.split("#", 1)[0]  # the fragment never reaches the server
    rest = rest.lstrip("/\\")
    end_match = _AUTHORITY_END_RE.search(rest)
    end = end_match.start() if end_match else len(rest)
    authority, tail = rest[:end], rest[end:]
    authority = authority.rpartition("@")[2]  # user:password@ is dropped

    port_text = ""
    if authority.startswith("["):
        close = authority.find("]")
        host_text, after = (authority[: close + 1], authority[close + 1 :]) if close >= 0 else (authority, "")
        if after:
            if not after.startswith(":"):
                raise _bad_host()
            port_text = after[1:]
    else:
        host_text, colon, port_text = authority.rpartition(":")
        if not colon:
            host_text, port_text = authority, ""
    if port_text and not (port_text.isascii() and port_text.isdigit() and len(port_text.lstrip("0")) <= 5):
        raise UnacceptableUrl(_("The port number of the address is not valid."), code="port")
    port: int | None = int(port_text) if port_text else None
    if port is not None and port > 65535:
        raise UnacceptableUrl(_("The port number of the address is not valid."), code="port")
    if port == DEFAULT_PORTS[scheme]:
        port = None

    host, is_ip = _canonical_host(host_text)

    path, _q, query = tail.partition("?")
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
        registered_domain="" if is_ip or "." not in host else _registered_domain_of_name(host),
        is_ip=is_ip,
    )
