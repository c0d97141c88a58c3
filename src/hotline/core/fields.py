"""Model fields that keep sensitive text encrypted in the database."""

from __future__ import annotations

from typing import Any

from django.db import models

from hotline.core import crypto


class EncryptedTextField(models.TextField):
    """Text stored as AES-GCM ciphertext, bound to its table and column (values cannot be swapped).

    Not searchable: pair it with a blind-index column for exact lookups.
    """

    def contribute_to_class(self, cls: type[models.Model], name: str, private_only: bool = False) -> None:
        super().contribute_to_class(cls, name, private_only)
        self._context = f"{cls._meta.app_label}.{cls._meta.model_name}.{name}"

    @property
    def context(self) -> str:
        return self._context

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return crypto.decrypt(value, context=self._context)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(str(value), context=self._context)

    def get_db_prep_save(self, value: Any, connection: Any) -> Any:
        return self.get_prep_value(value)

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name not in {"isnull"}:
            raise TypeError(f"Encrypted fields cannot be filtered with '{lookup_name}': use the blind index.")
        return super().get_lookup(lookup_name)
