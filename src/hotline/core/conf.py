"""The one settings reader: a Django setting, else the environment variable of the same name, else a default.

Every app keeps a `conf.py` of named accessors (`claim_duration()`, `max_urls()`, ...) built on the typed
readers here, and registers them with `register_accessors` in its `AppConfig.ready()`; the system check
`check_settings` reads every registered accessor at start-up, so a malformed value stops `manage.py check`
and the server with a message that names the setting, instead of failing (or being ignored) days later.

Rules, the same for every setting:
- a Django setting wins if it is set and not None (tests use pytest-django's `settings`);
- else the environment variable of the same name, if it is not empty (surrounding spaces are dropped);
- else the accessor's default.
A value that does not parse raises `ImproperlyConfigured` naming the setting and what it expects (never the
value: it could be a password in a proxy URL). Bounds of `integer`/`number` are a policy, not a parse: a
value outside them is brought to the nearest bound, as each accessor did before there was one reader.

Reads are cached (the intake hot path reads several settings per report) and the cache is emptied on
Django's `setting_changed`; a test that changes the environment itself calls `clear_cache()`.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed

from hotline.core import languages, onion

T = TypeVar("T")
Accessor = Callable[[], object]

_cache: dict[tuple[Any, ...], Any] = {}
_recorders: list[set[str]] = []
_accessors: dict[str, tuple[Accessor, ...]] = {}
_INTEGER = re.compile(r"[+-]?[0-9]+", re.ASCII)
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def clear_cache(**kwargs: Any) -> None:
    """Forget every value read (connected to `setting_changed`)."""
    _cache.clear()


setting_changed.connect(clear_cache, dispatch_uid="hotline.core.conf.clear_cache")


def _lookup(name: str) -> tuple[Any, str]:
    """(value, where it came from); (None, "") when neither a setting nor the environment gives one."""
    value = getattr(settings, name, None)
    if value is not None:
        return value, "Django settings"
    raw = os.environ.get(name, "").strip()
    if raw:
        return raw, "the environment"
    return None, ""


def _read(key: tuple[Any, ...], name: str, default: Any, parse: Callable[[Any], Any], expects: str) -> Any:
    """Read `name`, parse it (the default is taken as it is), cache the result under `key`."""
    for names in _recorders:
        names.add(name)
    value, source = _lookup(name)
    if not source:
        result = default
    else:
        try:
            result = parse(value)
        except (TypeError, ValueError):
            # `from None`: the parser's own message may quote the value (a proxy URL with a password).
            raise ImproperlyConfigured(f"{name} must be {expects} (set in {source}).") from None
    _cache[key] = result
    return result


def _clamp(value: T, minimum: Any, maximum: Any) -> T:
    if minimum is not None and value < minimum:  # type: ignore[operator]
        return minimum  # type: ignore[no-any-return]
    if maximum is not None and value > maximum:  # type: ignore[operator]
        return maximum  # type: ignore[no-any-return]
    return value


# --- typed readers -----------------------------------------------------------------------------------
def text(name: str, default: str = "") -> str:
    """A string. A Django setting of another type is refused (it is almost always a mistake)."""
    key = ("text", name, default)
    try:
        return _cache[key]  # type: ignore[no-any-return]
    except KeyError:
        return _read(key, name, default, _as_text, "text")  # type: ignore[no-any-return]


def _as_text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(type(value).__name__)
    return value


def integer(name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """A whole number (an int, or digits with an optional sign); outside the bounds it takes the nearest."""
    key = ("integer", name, default, minimum, maximum)
    try:
        return _cache[key]  # type: ignore[no-any-return]
    except KeyError:
        pass

    def parse(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise TypeError(type(value).__name__)
        if isinstance(value, str):
            if not _INTEGER.fullmatch(value.strip()):
                raise ValueError("not a whole number")
            value = int(value)
        return _clamp(value, minimum, maximum)

    return _read(key, name, default, parse, "a whole number")  # type: ignore[no-any-return]


def number(name: str, default: float, *, minimum: float | None = None, maximum: float | None = None) -> float:
    """A finite number (int, float, or its decimal text); outside the bounds it takes the nearest."""
    key = ("number", name, default, minimum, maximum)
    try:
        return _cache[key]  # type: ignore[no-any-return]
    except KeyError:
        pass

    def parse(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise TypeError(type(value).__name__)
        result = float(value)
        if not math.isfinite(result):
            raise ValueError("not finite")
        return _clamp(result, minimum, maximum)

    return _read(key, name, default, parse, "a number")  # type: ignore[no-any-return]


def boolean(name: str, default: bool) -> bool:
    """True or False, or one of 1/true/yes/on and 0/false/no/off (any case)."""
    key = ("boolean", name, default)
    try:
        return _cache[key]  # type: ignore[no-any-return]
    except KeyError:
        return _read(key, name, default, _as_boolean, "one of 1, true, yes, on, 0, false, no, off")  # type: ignore[no-any-return]


def _as_boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    word = _as_text(value).strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ValueError("not a yes/no word")


def comma_list(name: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Items separated by commas (or, as a Django setting, a list/tuple/set of strings); blanks dropped."""
    key = ("comma_list", name, default)
    try:
        return _cache[key]  # type: ignore[no-any-return]
    except KeyError:
        return _read(key, name, default, _as_comma_list, "a comma-separated list")  # type: ignore[no-any-return]


def _as_comma_list(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        items: Iterable[Any] = value.split(",")
    elif isinstance(value, list | tuple):
        items = value
    elif isinstance(value, set | frozenset):
        items = sorted(value)
    else:
        raise TypeError(type(value).__name__)
    return tuple(item.strip() for item in map(_as_text, items) if item.strip())


def choice(name: str, default: str, choices: frozenset[str], *, normalise: Callable[[str], str] = str.strip) -> str:
    """One of `choices`, after `normalise` (a module-level function: it is part of the cache key)."""
    key = ("choice", name, default, choices, normalise)
    try:
        return _cache[key]  # type: ignore[no-any-return]
    except KeyError:
        pass

    def parse(value: Any) -> str:
        word = normalise(_as_text(value))
        if word not in choices:
            raise ValueError("not one of the choices")
        return word

    return _read(key, name, default, parse, "one of " + ", ".join(sorted(choices)))  # type: ignore[no-any-return]


def path(name: str, default: Path) -> Path:
    """A file system path (text or a path object); an empty value means the default."""
    key = ("path", name, default)
    try:
        return _cache[key]  # type: ignore[no-any-return]
    except KeyError:
        pass

    def parse(value: Any) -> Path:
        if not isinstance(value, str | os.PathLike):
            raise TypeError(type(value).__name__)
        return Path(value) if str(value).strip() else default

    return _read(key, name, default, parse, "a file system path")  # type: ignore[no-any-return]


def parsed(name: str, default: T, parse: Callable[[Any], T], *, expects: str) -> T:
    """A value of the app's own format: `parse` (a module-level function, part of the cache key) takes the
    raw setting (text from the environment, any type from Django settings) and raises ValueError or
    TypeError when it does not fit, or ImproperlyConfigured with a message of its own."""
    key = ("parsed", name, default, parse)
    try:
        return _cache[key]  # type: ignore[no-any-return]
    except KeyError:
        return _read(key, name, default, parse, expects)  # type: ignore[no-any-return]


# --- settings of core itself and of several apps ------------------------------------------------------
def public_url() -> str:
    """HOTLINE_PUBLIC_URL without a trailing slash: the base of every link mailed or printed."""
    return text("HOTLINE_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")


def trusted_proxy_count() -> int:
    """HOTLINE_TRUSTED_PROXY_COUNT: reverse proxies whose X-Forwarded-For is believed (0: none)."""
    return integer("HOTLINE_TRUSTED_PROXY_COUNT", 0, minimum=0)


METRICS_TOKEN_MIN_LENGTH = 32


def _as_metrics_token(value: Any) -> str:
    token = _as_text(value).strip()
    if len(token) < METRICS_TOKEN_MIN_LENGTH:
        raise ValueError("too short")
    return token


def metrics_token() -> str:
    """HOTLINE_METRICS_TOKEN: the bearer token /metrics (and the figures of /readyz) ask for; empty: /metrics is
    off (404) and nothing is counted."""
    return parsed(
        "HOTLINE_METRICS_TOKEN",
        "",
        _as_metrics_token,
        expects=f"a random token of at least {METRICS_TOKEN_MIN_LENGTH} characters",
    )


BackupKey = tuple[str, bytes]


def _as_backup_keys(value: Any) -> tuple[BackupKey, ...]:
    """'id:base64key,id:base64key' (32-byte keys; the first encrypts, every one decrypts)."""
    import base64
    import binascii

    keys: list[BackupKey] = []
    for part in (p.strip() for p in _as_text(value).split(",")):
        if not part:
            continue
        kid, sep, b64 = part.partition(":")
        if not sep or not kid.isalnum() or not kid.isascii() or len(kid) > 32:
            raise ValueError("not id:base64key")
        try:
            key = base64.b64decode(b64, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("not base64") from None
        if len(key) != 32 or any(kid == known for known, _ in keys):
            raise ValueError("not a 32-byte key, or an id twice")
        keys.append((kid, key))
    return tuple(keys)


def backup_keys() -> tuple[BackupKey, ...]:
    """HOTLINE_BACKUP_KEY: the keys of `manage.py backup`/`restore` as (id, 32 bytes); the first encrypts new
    backups, every one opens old ones. Empty: backups cannot be made."""
    return parsed(
        "HOTLINE_BACKUP_KEY",
        (),
        _as_backup_keys,
        expects="id:base64key entries (32 random bytes each, ids of letters and digits), comma-separated",
    )


def backup_dir() -> Path:
    """HOTLINE_BACKUP_DIR: where `manage.py backup` writes (and prunes) when it is given no file name."""
    return path("HOTLINE_BACKUP_DIR", Path(getattr(settings, "VAR_DIR", "var")) / "backups")


def backup_keep() -> int:
    """HOTLINE_BACKUP_KEEP: backups `manage.py backup` keeps in HOTLINE_BACKUP_DIR (older ones are deleted)."""
    return integer("HOTLINE_BACKUP_KEEP", 14, minimum=1)


def public_languages() -> tuple[str, ...]:
    """HOTLINE_PUBLIC_LANGUAGES: the languages the reporter's pages offer (hotline.core.languages)."""
    return parsed(
        "HOTLINE_PUBLIC_LANGUAGES",
        languages.CODES,
        languages.parse_public_languages,
        expects="a comma-separated list of language codes among " + ", ".join(languages.CODES) + ", with sv among them",
    )


# A neutral everyday site (the Swedish weather service), as GOV.UK's "Exit this page" goes to BBC Weather.
DEFAULT_QUICK_EXIT_URL = "https://www.smhi.se/"


def _as_exit_url(value: Any) -> str:
    url = _as_text(value).strip()
    parts = urlsplit(url)
    if parts.scheme not in {"https", "http"} or not parts.hostname or any(c.isspace() for c in url):
        raise ValueError("not an absolute web address")
    return url


def quick_exit_url() -> str:
    """HOTLINE_QUICK_EXIT_URL: where "Leave this page" goes, a site that says nothing about this one."""
    return parsed(
        "HOTLINE_QUICK_EXIT_URL",
        DEFAULT_QUICK_EXIT_URL,
        _as_exit_url,
        expects="an absolute web address (https://...) of another, neutral site",
    )


def onion_address() -> str:
    """HOTLINE_ONION_ADDRESS: the v3 onion address of this site's onion service ("": none; docs/onion.md)."""
    return parsed("HOTLINE_ONION_ADDRESS", "", onion.parse_onion_address, expects=onion.EXPECTS)


# --- safety help on the public pages (home, report form, thank-you): Swedish defaults --------------------
@dataclass(frozen=True)
class SafetyHelp:
    """Where a child in danger, a reporter and a young person get help now; shown on every reporter page."""

    emergency_number: str  # the emergency number: a child in immediate danger
    police_tip_number: str  # the police's number for tips
    helpline_name: str  # children's and young people's helpline (Sweden: BRIS)
    helpline_number: str
    helpline_url: str
    advice_url: str  # the hotline's own advice for victims of sextortion and grooming

    @property
    def helpline_label(self) -> str:
        """The helpline's address as people write it (without https://)."""
        return self.helpline_url.split("://", 1)[-1].rstrip("/")


def _as_link(value: Any) -> str:
    """An absolute http(s) address or a path on this site ("": none)."""
    url = _as_text(value).strip()
    if not url:
        return ""
    if url.startswith("/") and not url.startswith("//") and not any(c.isspace() for c in url):
        return url
    return _as_exit_url(url)


def safety_help() -> SafetyHelp:
    """HOTLINE_EMERGENCY_NUMBER (112), HOTLINE_POLICE_TIP_NUMBER (114 14), HOTLINE_CHILD_HELPLINE_NAME (BRIS),
    HOTLINE_CHILD_HELPLINE_NUMBER (116 111), HOTLINE_CHILD_HELPLINE_URL (https://www.bris.se/) and
    HOTLINE_VICTIM_ADVICE_URL (/report/own-images/): the safety help every reporter page shows."""
    return SafetyHelp(
        emergency_number=text("HOTLINE_EMERGENCY_NUMBER", "112").strip(),
        police_tip_number=text("HOTLINE_POLICE_TIP_NUMBER", "114 14").strip(),
        helpline_name=text("HOTLINE_CHILD_HELPLINE_NAME", "BRIS").strip(),
        helpline_number=text("HOTLINE_CHILD_HELPLINE_NUMBER", "116 111").strip(),
        helpline_url=parsed(
            "HOTLINE_CHILD_HELPLINE_URL", "https://www.bris.se/", _as_link, expects="an https:// address"
        ),
        advice_url=parsed(
            "HOTLINE_VICTIM_ADVICE_URL",
            "/report/own-images/",
            _as_link,
            expects="an https:// address or a path on this site (/...)",
        ),
    )


def inhope_member() -> bool:
    """HOTLINE_INHOPE_MEMBER: whether the organisation running this hotline (HOTLINE_ORGANISATION) is a member of
    INHOPE; the report form says so (default no: an installation says it only when it is true)."""
    return boolean("HOTLINE_INHOPE_MEMBER", False)


def audit_retention_days() -> int | None:
    """HOTLINE_AUDIT_RETENTION_DAYS: audit entries older than this are archived to HOTLINE_AUDIT_ARCHIVE_DIR and
    pruned, the chain head and the last archived hash kept so the rest still verifies. Unset or 0: kept."""
    days = integer("HOTLINE_AUDIT_RETENTION_DAYS", 0, minimum=0)
    return days or None


def audit_archive_dir() -> Path:
    """HOTLINE_AUDIT_ARCHIVE_DIR: where pruned audit entries are written (JSON lines, one file per batch)."""
    return path("HOTLINE_AUDIT_ARCHIVE_DIR", Path(getattr(settings, "VAR_DIR", "var")) / "audit-archive")


ACCESSORS: tuple[Accessor, ...] = (
    audit_retention_days,
    audit_archive_dir,
    public_url,
    trusted_proxy_count,
    metrics_token,
    backup_keys,
    backup_dir,
    backup_keep,
    public_languages,
    quick_exit_url,
    onion_address,
    safety_help,
    inhope_member,
)


# --- the start-up check ----------------------------------------------------------------------------
def register_accessors(check_id: str, accessors: Iterable[Accessor]) -> None:
    """Have the start-up check read `accessors` (zero-argument functions of an app's conf module); a
    malformed value is reported with `check_id` (e.g. "cases.E001"). Called from `AppConfig.ready()`;
    registering the same id again replaces its list."""
    _accessors[check_id] = tuple(accessors)


def registered_accessors() -> dict[str, tuple[Accessor, ...]]:
    return dict(_accessors)


@contextmanager
def recording_names() -> Iterator[set[str]]:
    """The names of the settings read inside the block (the cache is emptied first, so every read counts);
    the tests use it to hold docs/operating.md and the start-up check to every setting there is."""
    names: set[str] = set()
    clear_cache()
    _recorders.append(names)
    try:
        yield names
    finally:
        _recorders.remove(names)


def check_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """System check: read every registered accessor; each malformed setting is one error."""
    problems: list[checks.CheckMessage] = []
    seen: set[str] = set()
    for check_id, accessors in _accessors.items():
        for accessor in accessors:
            try:
                accessor()
            except ImproperlyConfigured as exc:
                if str(exc) not in seen:  # two accessors may read the same bad setting
                    seen.add(str(exc))
                    problems.append(checks.Error(str(exc), id=check_id))
    return problems
