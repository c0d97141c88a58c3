"""Hash list imports: good files land whole, a file with any bad row imports nothing and names every bad line;
the command, exports (formula-safe CSV, JSON that imports again), enabling and disabling, all audited."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from hotline.core.models import AuditEntry
from hotline.intel import selectors, services
from hotline.intel.core import HashType
from hotline.intel.models import HashEntry, HashList
from hotline.intel.tests.conftest import write

pytestmark = pytest.mark.django_db

SHA = "a" * 64
MD5 = "b" * 32
PDQ = "f" * 64


def _list(name: str = "Partner list") -> HashList:
    return services.create_hash_list(
        name=name, source="a partner", trust_level="verified", classification="csam_baseline", actor="test"
    )


def test_a_good_csv_imports_every_row_and_is_audited(tmp_path: Path) -> None:
    hash_list = _list()
    path = write(
        tmp_path / "list.csv",
        f"type,hash,quality,label\nsha256,{SHA.upper()},,first\nmd5,{MD5},,\npdq,{PDQ},90,a pdq\n# note\n\n",
    )
    outcome = services.import_hash_file(hash_list=hash_list, path=path, file_format="csv", hash_type=None, actor="t")
    assert (outcome.rows, outcome.added, outcome.seen_again, outcome.error_count) == (3, 3, 0, 0)
    values = set(HashEntry.objects.values_list("hash_type", "value", "quality", "label"))
    assert values == {("sha256", SHA, None, "first"), ("md5", MD5, None, ""), ("pdq", PDQ, 90, "a pdq")}
    hash_list.refresh_from_db()
    assert hash_list.entry_count == 3
    entry = AuditEntry.objects.filter(action="intel.hash_list.imported").get()
    assert entry.details["added"] == 3 and SHA not in json.dumps(entry.details)

    again = services.import_hash_file(hash_list=hash_list, path=path, file_format="csv", hash_type=None, actor="t")
    assert (again.added, again.seen_again) == (0, 3)
    assert HashEntry.objects.count() == 3


def test_a_file_with_bad_rows_imports_nothing_and_names_every_line(tmp_path: Path) -> None:
    hash_list = _list()
    existing = write(tmp_path / "old.csv", f"hash\n{SHA}\n")
    services.import_hash_file(
        hash_list=hash_list, path=existing, file_format="csv", hash_type=HashType.SHA256, actor="t"
    )
    good_rows = "".join(f"{i:064x}\n" for i in range(1, 100))
    path = write(tmp_path / "bad.csv", f"hash\n{good_rows}{'c' * 63}\n{'d' * 64}\nnot a hash\n")
    outcome = services.import_hash_file(
        hash_list=hash_list, path=path, file_format="csv", hash_type=HashType.SHA256, actor="t"
    )
    assert outcome.refused
    assert [(e.line, e.code) for e in outcome.errors] == [(101, "wrong_length"), (103, "not_hex")]
    assert "63" in outcome.errors[0].message
    # Nothing of the file is in the list, and what was there is untouched.
    assert list(HashEntry.objects.values_list("value", flat=True)) == [SHA]
    hash_list.refresh_from_db()
    assert hash_list.entry_count == 1
    assert AuditEntry.objects.filter(action="intel.hash_list.import_refused").get().details["bad_rows"] == 2


def test_a_row_that_is_not_utf8_is_reported_by_its_line(tmp_path: Path) -> None:
    hash_list = _list()
    path = tmp_path / "latin1.csv"
    path.write_bytes(f"hash,label\n{SHA},ok\n{MD5},caf\xe9\n".encode("latin-1"))
    outcome = services.import_hash_file(hash_list=hash_list, path=path, file_format="csv", hash_type=None, actor="t")
    assert outcome.refused
    assert HashEntry.objects.count() == 0


def test_json_lists_import_and_report_lines(tmp_path: Path) -> None:
    hash_list = _list()
    good = write(
        tmp_path / "l.json",
        json.dumps({"hashes": [{"type": "sha256", "hash": SHA}, {"type": "pdq", "hash": PDQ, "quality": 80}]}),
    )
    assert (
        services.import_hash_file(hash_list=hash_list, path=good, file_format="json", hash_type=None, actor="t").added
        == 2
    )
    bad = write(tmp_path / "b.json", '[\n{"type": "md5", "hash": "' + MD5 + '"},\n{"type": "md5", "hash": "xyz"}\n]')
    outcome = services.import_hash_file(hash_list=hash_list, path=bad, file_format="json", hash_type=None, actor="t")
    assert [e.line for e in outcome.errors] == [3]
    assert HashEntry.objects.count() == 2


def test_the_command_imports_and_refuses_with_line_numbers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "cmd.csv", f"hash\n{SHA}\n{'e' * 64}\n")
    call_command("import_hash_list", "From police", str(path), "--type", "sha256", "--no-progress")
    created = HashList.objects.get(name="From police")
    assert created.entry_count == 2
    assert "checking" in capsys.readouterr().out
    bad = write(tmp_path / "cmd-bad.csv", f"hash\n{MD5}\n")
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_hash_list", "From police", str(bad), "--type", "sha256")
    assert "line 2:" in capsys.readouterr().err
    assert HashEntry.objects.count() == 2


def test_csv_export_is_formula_safe_and_json_export_imports_again(tmp_path: Path) -> None:
    hash_list = _list()
    path = write(tmp_path / "l.csv", f"type,hash,label\nsha256,{SHA},=HYPERLINK(1)\npdq,{PDQ},\n")
    services.import_hash_file(hash_list=hash_list, path=path, file_format="csv", hash_type=None, actor="t")
    text = "".join(selectors.export_hash_list_csv(hash_list))
    assert "'=HYPERLINK(1)" in text and ",=HYPERLINK" not in text
    exported = write(
        tmp_path / "out.json", "".join(selectors.export_hash_list_json(hash_list, now=hash_list.created_at))
    )
    copy = _list("Copy")
    outcome = services.import_hash_file(hash_list=copy, path=exported, file_format="json", hash_type=None, actor="t")
    assert outcome.added == 2 and not outcome.refused


def test_enabling_and_disabling_is_audited_and_queues_an_index_build(run_tasks: object) -> None:
    hash_list = _list()
    services.set_hash_list_enabled(hash_list=hash_list, enabled=False, actor="t")
    services.set_hash_list_enabled(hash_list=hash_list, enabled=False, actor="t")  # no change, no entry
    services.set_hash_list_enabled(hash_list=hash_list, enabled=True, actor="t")
    actions = list(
        AuditEntry.objects.filter(action__startswith="intel.hash_list.")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == ["intel.hash_list.created", "intel.hash_list.disabled", "intel.hash_list.enabled"]


def test_a_list_name_is_unique() -> None:
    _list()
    with pytest.raises(services.lists.ListNameTaken):
        _list()
