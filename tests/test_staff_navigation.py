"""One staff navigation: every app registers its links (hotline.core.registry), the staff bar and the staff home
page show the same ones to each role, and every registered link leads to a page that role may open."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import resolve
from django.utils import translation

from hotline.core import registry
from hotline.core.authz import ANY_STAFF, ROLES, declared_access

LINK = re.compile(r'<a href="([^"]+)">([^<]+)</a>')


def test_links_follow_roles() -> None:
    assert [link.path for link in registry.staff_links_for(["campaigner"])] == ["/campaigns/"]
    assert "/staff/users/" in [link.path for link in registry.staff_links_for(["admin"])]
    assert registry.staff_links_for([]) == []


def test_every_registered_link_resolves_to_a_page_its_roles_may_open() -> None:
    links = registry.staff_links()
    assert links, "no app registered a staff link"
    for link in links:
        match = resolve(link.path)
        declared = declared_access(match.func)
        assert declared is not None, f"{link.path} has no declared access"
        assert ANY_STAFF in declared or link.roles <= declared, (
            f"{link.path} is shown to {sorted(link.roles)} but only {sorted(declared)} may open it"
        )
    assert len({link.path for link in links}) == len(links)


def _bar(html: str) -> list[tuple[str, str]]:
    nav = html.split("<nav", 1)[1].split("</nav>", 1)[0]
    return [(href, text) for href, text in LINK.findall(nav) if href != "/staff/"]  # "Staff home" is the bar's own


def _home(html: str) -> list[tuple[str, str]]:
    work = html.split("<main", 1)[1].split("<ul>")[2].split("</ul>", 1)[0]  # roles, then "Your work"
    return LINK.findall(work)


@pytest.mark.django_db
@pytest.mark.parametrize("roles", [(role,) for role in ROLES] + [("analyst", "supervisor"), ("admin", "supervisor")])
def test_the_staff_bar_and_the_staff_home_show_the_same_links(roles: tuple[str, ...], staff_client: Any) -> None:
    client = staff_client(*roles)
    client.cookies["hotline_language"] = "en"
    html = client.get("/staff/").content.decode()
    with translation.override("en"):
        expected = [(link.path, str(link.label)) for link in registry.staff_links_for(roles)]
    assert _bar(html) == expected
    assert _home(html) == expected


@pytest.mark.django_db
def test_a_supervisor_finds_the_police_packages_and_the_statistics_in_the_bar(staff_client: Any) -> None:
    html = staff_client("supervisor").get("/staff/").content.decode()
    assert ("/referrals/police/" in dict(_bar(html))) and ("/referrals/police/" in dict(_home(html)))
    assert ("/insights/" in dict(_bar(html))) and ("/insights/" in dict(_home(html)))
