"""`manage.py create_staff --email E --role R [--role R2]`: create an account, print its enrolment link."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from hotline.staff.services import StaffError, create_staff_user


class Command(BaseCommand):
    help = "Create a staff account and print a one-time enrolment link (password + two-factor)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--email", required=True)
        parser.add_argument("--role", action="append", required=True, help="Repeat for several roles.")
        parser.add_argument("--name", default="")

    def handle(self, *args: Any, email: str, role: list[str], name: str, **options: Any) -> None:
        roles = [r for value in role for r in value.split(",")]
        try:
            user, link = create_staff_user(email=email, roles=roles, actor="cli:create_staff", display_name=name)
        except StaffError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Created {user.email} with roles {', '.join(sorted(user.role_names))}.")
        self.stdout.write(f"One-time enrolment link: {settings.HOTLINE_PUBLIC_URL}{link}")
