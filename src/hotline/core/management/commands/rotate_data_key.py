"""`manage.py rotate_data_key`: re-encrypt every encrypted value with the newest (first) data key."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from tqdm import tqdm

from hotline.core import audit, crypto
from hotline.core.fields import EncryptedTextField

BATCH = 500


def encrypted_columns() -> list[tuple[Any, EncryptedTextField]]:
    return [
        (model, field)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, EncryptedTextField)
    ]


class Command(BaseCommand):
    help = "Re-encrypt all encrypted fields with the active key (the first in HOTLINE_DATA_KEYS)."

    def handle(self, *args: Any, **options: Any) -> None:
        ring = crypto.keyring()
        active_prefix = f"{crypto.PREFIX}:{ring.active_id}:"
        total = 0
        for model, field in encrypted_columns():
            table, column, pk = model._meta.db_table, str(field.column), str(model._meta.pk.column)
            qn = connection.ops.quote_name
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT {qn(pk)} FROM {qn(table)} WHERE {qn(column)} <> '' AND {qn(column)} NOT LIKE %s",  # noqa: S608 (quoted model identifiers; values are %s parameters)  # nosec B608
                    [active_prefix + "%"],
                )
                ids = [row[0] for row in cursor.fetchall()]
            if not ids:
                continue
            bar = tqdm(total=len(ids), desc=f"{model._meta.label}.{field.name}", file=self.stdout, disable=None)
            for start in range(0, len(ids), BATCH):
                chunk = ids[start : start + BATCH]
                with transaction.atomic():
                    for obj in model.objects.filter(pk__in=chunk).only(field.attname):
                        model.objects.filter(pk=obj.pk).update(**{field.attname: getattr(obj, field.attname)})
                bar.update(len(chunk))
            bar.close()
            total += len(ids)
        with transaction.atomic():
            audit.record(
                actor="cli:rotate_data_key",
                action="crypto.data_key_rotated",
                details={"active_key": ring.active_id, "values_reencrypted": total},
            )
        self.stdout.write(f"Re-encrypted {total} values with key {ring.active_id!r}.")
