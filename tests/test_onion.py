"""The onion service (docs/onion.md): the address check, the settings that change for the onion host (allowed,
trusted for form posts, no HTTPS redirect, no HSTS, cookies without Secure), the Onion-Location header of
public pages, and the files in deploy/tor/ checked by Tor and nginx themselves where they are installed."""

from __future__ import annotations

import hashlib
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, RequestFactory

from conftest import SYSTEM_PACKAGES
from hotline.core import conf
from hotline.core.onion import address_for, parse_onion_address
from tests.test_production_settings import manage, production_env

ROOT = Path(__file__).resolve().parent.parent
TORRC = ROOT / "deploy" / "tor" / "torrc"
NGINX_ONION = ROOT / "deploy" / "tor" / "nginx-onion.conf"
ONION = address_for(hashlib.sha256(b"hotline test onion").digest())
PUBLIC_HOST = "hotline.example.org"


# --- the address --------------------------------------------------------------------------------------
def test_real_v3_addresses_pass_the_checksum() -> None:
    # Published addresses (The Tor Project, DuckDuckGo): test vectors of the checksum, never contacted.
    for address in (
        "2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion",
        "duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion",
    ):
        assert parse_onion_address(address) == address
        assert parse_onion_address(f"  {address.upper()} ") == address


@pytest.mark.parametrize(
    "value",
    [
        ONION[:10] + ("a" if ONION[10] != "a" else "b") + ONION[11:],  # one letter mistyped: checksum
        ONION[:-7] + ".onion",  # truncated
        "expyuzz4wqqyqhjn.onion",  # v2 (16 characters): gone from Tor since 2021
        f"http://{ONION}",
        f"{ONION}/",
        ONION.replace(".onion", ".onion.example"),
        "hotline.example.org",
        address_for(bytes(32))[:-7].replace("d", "8") + ".onion",  # 8 is not base32
    ],
)
def test_anything_else_is_refused(value: str) -> None:
    with pytest.raises(ValueError):
        parse_onion_address(value)


def test_the_setting_is_read_through_core_conf_and_checked_at_start_up(settings: Any) -> None:
    assert conf.onion_address() == ""
    settings.HOTLINE_ONION_ADDRESS = ONION.upper()
    assert conf.onion_address() == ONION
    settings.HOTLINE_ONION_ADDRESS = "hotline.onion"
    with pytest.raises(ImproperlyConfigured, match="HOTLINE_ONION_ADDRESS must be a v3 onion address"):
        conf.onion_address()
    assert [p.id for p in conf.check_settings() if "HOTLINE_ONION_ADDRESS" in p.msg] == ["core.E001"]


# --- production settings with an onion service (real processes: settings are read once) ------------------
def test_production_allows_and_trusts_the_onion_host_and_check_deploy_stays_clean(tmp_path: Path) -> None:
    env = production_env(tmp_path, HOTLINE_ONION_ADDRESS=ONION)
    script = (
        "from django.conf import settings as s; print(s.ALLOWED_HOSTS, s.CSRF_TRUSTED_ORIGINS, s.SECURE_SSL_REDIRECT,"
        " s.HOTLINE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_NAME)"
    )
    result = manage(env, "shell", "-c", script)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == (
        f"['{PUBLIC_HOST}', '{ONION}'] ['http://{ONION}'] False True True __Host-csrftoken"
    )
    # Django's own redirect is off (it would send the onion host to https); ours redirects every other host,
    # so Django's W008 is silenced for this case only and the deployment check has nothing to say.
    check = manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert check.returncode == 0 and "System check identified no issues" in check.stdout + check.stderr
    without_redirect = manage(production_env(tmp_path, HOTLINE_ONION_ADDRESS=ONION, HOTLINE_SSL_REDIRECT="0"),
                              "check", "--deploy")  # fmt: skip
    assert "security.W008" in without_redirect.stdout + without_redirect.stderr


def test_production_refuses_a_malformed_onion_address(tmp_path: Path) -> None:
    result = manage(production_env(tmp_path, HOTLINE_ONION_ADDRESS="hotline.onion"), "check")
    assert result.returncode != 0 and "HOTLINE_ONION_ADDRESS must be a v3 onion address" in result.stderr


# --- the two hosts at run time -------------------------------------------------------------------------
@pytest.fixture
def production_like(settings: Any) -> Any:
    """What production settings give with an onion address (see the test above), in this process."""
    settings.HOTLINE_ONION_ADDRESS = ONION
    settings.ALLOWED_HOSTS = [PUBLIC_HOST, ONION]
    settings.CSRF_TRUSTED_ORIGINS = [f"http://{ONION}"]
    settings.HOTLINE_SSL_REDIRECT = True
    settings.SECURE_SSL_REDIRECT = False
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 63072000
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    settings.SESSION_COOKIE_NAME = "__Host-sessionid"
    settings.CSRF_COOKIE_NAME = "__Host-csrftoken"
    return settings


HTTPS = {"HTTP_X_FORWARDED_PROTO": "https"}
pytestmark_db = pytest.mark.django_db


@pytestmark_db
def test_the_https_host_redirects_plain_http_and_sends_hsts_and_onion_location(production_like: Any) -> None:
    plain = Client(HTTP_HOST=PUBLIC_HOST).get("/report/")
    assert plain.status_code == 301 and plain["Location"] == f"https://{PUBLIC_HOST}/report/"
    response = Client(HTTP_HOST=PUBLIC_HOST, **HTTPS).get("/report/status/")
    assert response.status_code == 200
    assert response["Strict-Transport-Security"].startswith("max-age=63072000")
    assert response["Onion-Location"] == f"http://{ONION}/report/status/"
    assert not response.cookies  # the public forms need no cookie (hotline.core.formguard)
    cookie = Client(HTTP_HOST=PUBLIC_HOST, **HTTPS).get("/staff/login/").cookies["__Host-csrftoken"]
    assert cookie["secure"] and cookie["path"] == "/" and not cookie["domain"]


@pytestmark_db
def test_the_onion_host_is_served_over_http_without_hsts_and_with_cookies_it_can_keep(production_like: Any) -> None:
    client = Client(HTTP_HOST=ONION, enforce_csrf_checks=True)
    form = client.get("/report/")
    assert form.status_code == 200  # not redirected to https
    assert "Strict-Transport-Security" not in form and "Onion-Location" not in form
    assert not form.cookies  # the public forms need no cookie (hotline.core.formguard); staff cookies: below
    # The whole report over the onion host, the CSRF check included (Tor Browser sends the onion Origin).
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.content.decode()).group(1)  # type: ignore[union-attr]
    data = {"kind": "online_material", "url_fields": "3", "url_1": "https://onion.example.test/x", "nexus_victim":
            "unknown", "nexus_offender": "unknown", "nexus_place": "unknown", "reporter_classification": "",
            "csrfmiddlewaretoken": token}  # fmt: skip
    thanks = client.post("/report/", data, HTTP_ORIGIN=f"http://{ONION}", follow=True)
    assert thanks.status_code == 200 and 'id="receipt"' in thanks.content.decode()
    switched = client.post("/language/", {"language": "ar", "next": "/", "csrfmiddlewaretoken": token},
                           HTTP_ORIGIN=f"http://{ONION}")  # fmt: skip
    assert switched.status_code == 302 and not switched.cookies["hotline_language"]["secure"]
    # A form posted from another origin is still refused.
    forged = client.post("/report/", data, HTTP_ORIGIN="http://elsewhere.example")
    assert forged.status_code == 403


@pytestmark_db
def test_staff_cookies_on_the_onion_host_drop_the_prefix_and_secure_and_still_work(production_like: Any) -> None:
    client = Client(HTTP_HOST=ONION)
    page = client.get("/staff/login/")
    assert page.status_code == 200 and "csrftoken" in page.cookies
    cookie = page.cookies["csrftoken"]
    assert not cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["path"] == "/"
    # A cookie set under the plain name is read back as Django's own (prefixed) cookie.
    from hotline.core.middleware import OnionHostMiddleware

    request = RequestFactory().get("/", HTTP_HOST=ONION, HTTP_COOKIE="csrftoken=abc; sessionid=def")
    OnionHostMiddleware._cookies_in(request)
    assert request.COOKIES == {"__Host-csrftoken": "abc", "__Host-sessionid": "def"}


@pytestmark_db
def test_onion_location_only_on_public_html_pages(production_like: Any) -> None:
    https = Client(HTTP_HOST=PUBLIC_HOST, **HTTPS)
    assert https.get("/")["Onion-Location"] == f"http://{ONION}/"
    assert https.get("/petitions/")["Onion-Location"] == f"http://{ONION}/petitions/"
    assert https.get("/no-such-page/")["Onion-Location"] == f"http://{ONION}/no-such-page/"
    assert "Onion-Location" not in https.get("/staff/login/")  # staff pages: not offered
    assert "Onion-Location" not in https.get("/static/hotline/hotline.css")
    assert "Onion-Location" not in https.get("/healthz")
    assert (
        https.get("/report/?next=https://elsewhere.example/")["Onion-Location"] == f"http://{ONION}/report/"
    )  # never a query string


@pytestmark_db
def test_without_an_onion_address_nothing_changes(settings: Any) -> None:
    response = Client().get("/")
    assert "Onion-Location" not in response and response.status_code == 200


def test_each_tor_circuit_is_its_own_client_for_the_rate_limits(settings: Any) -> None:
    """nginx-onion.conf turns the circuit number into a label; it must not collapse as an IPv6 /64 would."""
    from hotline.intake.ratelimit import client_address

    settings.HOTLINE_TRUSTED_PROXY_COUNT = 1
    factory = RequestFactory()
    first = client_address(factory.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="onion-circuit-0:1f"))
    second = client_address(factory.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="onion-circuit-0:20"))
    assert first == "onion-circuit-0:1f" and second == "onion-circuit-0:20"
    as_ipv6 = [
        client_address(factory.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=f"fc00:dead:beef:4dad::{n}"))
        for n in ("1f", "20")
    ]
    assert as_ipv6[0] == as_ipv6[1]  # why the label: as addresses, every circuit would share one limit
    mapping = NGINX_ONION.read_text()
    assert '"~^fc00:dead:beef:4dad::(?<circuit>[0-9a-f:]+)$" "onion-circuit-$circuit";' in mapping


# --- the deployment files, checked by the programs that read them ---------------------------------------
TOR = SYSTEM_PACKAGES["tor"]


@pytest.mark.system_package("tor")
def test_tor_accepts_the_torrc(tmp_path: Path) -> None:
    result = subprocess.run([TOR, "--verify-config", "-f", str(TORRC)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "Configuration was valid" in result.stdout, result.stdout + result.stderr
    # And it would say so if it were not: the same file with one misspelt option.
    broken = tmp_path / "torrc"
    broken.write_text(TORRC.read_text().replace("HiddenServicePort 80", "HiddenServicePorts 80"))
    refused = subprocess.run([TOR, "--verify-config", "-f", str(broken)], capture_output=True, text=True, timeout=60)
    assert refused.returncode != 0


def test_the_torrc_is_a_v3_service_in_front_of_the_nginx_onion_listener() -> None:
    torrc = TORRC.read_text()
    assert re.search(r"^HiddenServiceVersion 3$", torrc, re.M)
    port = re.search(r"^HiddenServicePort 80 (127\.0\.0\.1:\d+)$", torrc, re.M).group(1)  # type: ignore[union-attr]
    assert f"listen {port} proxy_protocol;" in NGINX_ONION.read_text()
    assert re.search(r"^HiddenServiceExportCircuitID haproxy$", torrc, re.M)
    assert re.search(r"^SocksPort 0$", torrc, re.M)  # a service, not a client for local programs
    nginx = NGINX_ONION.read_text()
    assert "proxy_set_header X-Forwarded-Proto http;" in nginx and "access_log off;" in nginx
    assert parse_onion_address(re.search(r"server_name (\S+\.onion);", nginx).group(1))  # type: ignore[union-attr]


NGINX = SYSTEM_PACKAGES["nginx"]


@pytest.mark.system_package("nginx")
def test_nginx_accepts_the_onion_server_block(tmp_path: Path) -> None:
    conf_file = tmp_path / "nginx.conf"
    conf_file.write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n upstream hotline_web {{ server 127.0.0.1:8000; }}\n include {NGINX_ONION};\n}}\n"
    )
    result = subprocess.run([NGINX, "-t", "-c", str(conf_file), "-p", str(tmp_path)],
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    # nginx -t writes to its prefix's log and may warn about it; the verdict is the exit code.
    assert result.returncode == 0, result.stderr
