"""manage.py run_network (`make run-network`): three Hotline instances on this machine (SE, NL, DE on ports
8000-8002), each with its own SQLite file, key, web server and worker, registered with each other by fingerprint,
demo data in each, and one report forwarded from SE to NL so the exchange can be watched. Development only."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from hotline.network.instances import Instance
from hotline.staff.demo import describe_logins

INSTANCES = (("se", "SE-ECPAT", "SE"), ("nl", "NL-EXAMPLE", "NL"), ("de", "DE-EXAMPLE", "DE"))

FORWARD_ONE = """
from hotline.cases.factories import make_assessed_case
from hotline.referrals import selectors
from hotline.referrals.models import PartnerHotline
from hotline.referrals.services import TargetChoice, confirm_referral_plan
case = make_assessed_case(host="files.example.test", path="/album/run-network", country="NL",
                          description="A neutral demo description.", site_type="file_host")
plan = selectors.case_plan(case=case)
nl = PartnerHotline.objects.get(code="NL-EXAMPLE")
confirm_referral_plan(case_id=case.pk, actor=case.assessments.first().analyst, assessment_id=plan.assessment.pk,
    choices=[TargetChoice(key=f"partner_hotline:{nl.pk}")], adjust_reason="demo: forward to the partner hotline")
result = case.pk
"""


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = "Start three Hotline instances (SE, NL, DE) that exchange reports over the hotline network."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--base-port", type=int, default=8000)
        parser.add_argument("--dir", default="", help="Where the instances keep their files (default var/network)")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("run_network is for development only.")
        # A SIGTERM (e.g. from a supervisor or `timeout`) stops the three instances like Ctrl-C does.
        signal.signal(signal.SIGTERM, _interrupt)
        base = Path(options["dir"] or Path(settings.VAR_DIR) / "network")
        instances = []
        for offset, (name, code, country) in enumerate(INSTANCES):
            tmp = base / name
            tmp.mkdir(parents=True, exist_ok=True)
            instances.append(Instance(code=code, country=country, tmp=tmp, port=options["base_port"] + offset))
        try:
            for inst in instances:
                inst.manage("migrate", "--noinput", "-v", "0")
                inst.manage("demo_data")
                out = inst.manage(
                    "network_init",
                    "--code",
                    inst.code,
                    "--countries",
                    inst.country,
                    "--base-url",
                    inst.url,
                    "--name",
                    f"Hotline {inst.code}",
                    "--contact-email",
                    f"network@{inst.country.lower()}.example.test",
                )
                inst.fingerprint = out.rsplit("by phone): ", 1)[1].strip()
                inst.start()
                self.stdout.write(f"{inst.code}: {inst.url}/cases/  (files in {inst.tmp})")
            for own in instances:
                for partner in instances:
                    if partner is not own:
                        own.manage(
                            "network_add_partner", "--base-url", partner.url, "--fingerprint", partner.fingerprint
                        )
            instances[0].run(FORWARD_ONE)
            self.stdout.write("SE forwarded one case hosted in NL; watch /network/outbox/ on SE and the queue on NL.")
            self.stdout.write(describe_logins() + "\n  (the same logins on every instance)")
            self.stdout.write("Stop with Ctrl-C.")
            while all(inst.proc is not None and inst.proc.poll() is None for inst in instances):
                time.sleep(1)
        except KeyboardInterrupt:
            pass
        finally:
            for inst in instances:
                inst.stop()
