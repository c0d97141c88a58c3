"""Model fields that keep sensitive text encrypted in the database."""

from __future__ import annotations

from typing import Any

from django.db import models

from hotline.core import crypto


class EncryptedTextField(models.TextField):
    """Text stored as AES-GCM ciphertext, bound to its table and column (values cannot be swapped).

    Not searchable: pair it with a blind-index column for exact lookups.

    The binding is "<app label>.<model name>.<field name>" of the model that first stored the column. A model
    that moves to another app under its old table keeps its stored values readable by naming that binding:
    `EncryptedTextField(context="intake.reportermessage.text")`.
    """

    def __init__(self, *args: Any, context: str | None = None, **kwargs: Any) -> None:
        self._fixed_context = context
        super().__init__(*args, **kwargs)

    def contribute_to_class(self, cls: type[models.Model], name: str, private_only: bool = False) -> None:
        super().contribute_to_class(cls, name, private_only)
        self._context = self._fixed_context or f"{cls._meta.app_label}.{cls._meta.model_name}.{name}"

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if self._fixed_context:
            kwargs["context"] = self._fixed_context
        return name, path, args, kwargs

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
