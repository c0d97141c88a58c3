"""docs/coalition.md's verification examples, run as a member would: the files downloaded through the export
page under their own names, then the document's shell commands and its Python script, unchanged."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hotline.intel import payment_services
from hotline.intel.models import CoalitionExport
from hotline.intel.tests.payment_fixtures import BITCOIN, IBAN, commercial_case
from hotline.staff.factories import staff_user

DOC = Path(__file__).resolve().parents[4] / "docs" / "coalition.md"
pytestmark = pytest.mark.django_db


def _block(language: str) -> str:
    blocks = re.findall(rf"```{language}\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.DOTALL)
    assert len(blocks) == 1, f"docs/coalition.md should have one {language} block"
    return blocks[0]


@pytest.fixture
def downloaded(staff_client: Any, settings: Any, tmp_path: Path) -> tuple[Path, CoalitionExport]:
    settings.HOTLINE_COALITION_KEY_FILE = str(tmp_path / "key" / "coalition.pem")
    analyst = staff_user("analyst", email="analyst@hotline.example")
    case = commercial_case()
    for kind, value in (("bitcoin", BITCOIN), ("iban", IBAN)):
        payment_services.add_case_indicator(case_id=case.pk, kind=kind, value=value, actor=analyst)
    liaison = staff_client("coalition_liaison")
    for indicator_id in case.payment_sightings.values_list("indicator_id", flat=True):
        liaison.post(f"/intel/payments/{indicator_id}/review/", {"decision": "included"})
    liaison.post("/intel/payments/exports/publish/", {"confirm": "yes"})
    export = CoalitionExport.objects.get()
    member = tmp_path / "member"
    member.mkdir()
    for part in ("csv", "json", "csv.sig", "json.sig", "sha256", "pem"):
        answer = liaison.get(f"/intel/payments/exports/{export.pk}/download/{part}/")
        name = re.fullmatch(r'attachment; filename="([\w.-]+)"', answer["Content-Disposition"])
        assert name, answer["Content-Disposition"]
        (member / name.group(1)).write_bytes(answer.content)
    return member, export


@pytest.mark.skipif(not (shutil.which("openssl") and shutil.which("sha256sum")), reason="needs openssl, coreutils")
def test_the_shell_commands_verify_and_fail_on_a_changed_byte(downloaded: tuple[Path, CoalitionExport]) -> None:
    member, _export = downloaded
    lines = [line for line in _block("sh").splitlines() if line.strip()]
    assert len(lines) == 3
    for line in lines:
        result = subprocess.run(shlex.split(line), cwd=member, capture_output=True, text=True, check=False)
        assert result.returncode == 0, (line, result.stdout, result.stderr)
        assert ("OK" in result.stdout) if line.startswith("sha256sum") else ("Verified Successfully" in result.stdout)
    json_file = member / "coalition-indicators-0001.json"
    json_file.write_bytes(json_file.read_bytes().replace(b"mainnet", b"testnet"))
    for line in lines[0], lines[2]:
        assert subprocess.run(shlex.split(line), cwd=member, capture_output=True, check=False).returncode != 0


@pytest.mark.skipif(not shutil.which("openssl"), reason="needs openssl")
def test_the_key_id_command_prints_the_key_id(downloaded: tuple[Path, CoalitionExport]) -> None:
    member, export = downloaded
    command = re.search(r"`(openssl pkey -pubin [^`]+)`", DOC.read_text(encoding="utf-8"))
    assert command
    # The document's own pipeline, as a member types it (a shell: it has a pipe).
    result = subprocess.run(command.group(1), shell=True, cwd=member, capture_output=True, text=True, check=False)
    assert result.stdout.split()[0] == export.key_id


def test_the_python_script_verifies_and_refuses_another_key(downloaded: tuple[Path, CoalitionExport]) -> None:
    member, export = downloaded
    (member / "verify_coalition.py").write_text(_block("python"), encoding="utf-8")
    run = [sys.executable, "verify_coalition.py"]
    good = subprocess.run([*run, export.key_id, "0001"], cwd=member, capture_output=True, text=True, check=False)
    assert good.returncode == 0, good.stderr
    assert good.stdout.count("signature OK") == 2 and "1 2 indicators" in good.stdout
    other = subprocess.run([*run, "0" * 64, "0001"], cwd=member, capture_output=True, text=True, check=False)
    assert other.returncode != 0 and "not the pinned coalition key" in other.stderr
    csv_file = member / "coalition-indicators-0001.csv"
    csv_file.write_bytes(csv_file.read_bytes() + b"x")
    changed = subprocess.run([*run, export.key_id, "0001"], cwd=member, capture_output=True, text=True, check=False)
    assert changed.returncode != 0 and "InvalidSignature" in changed.stderr
