"""The one error type of the intel library core: a refused value, with a stable code for the app to translate."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class InvalidValue(ValueError):
    """A value was refused. `code` is stable (the app maps it to a translated message), `message` is plain
    English for logs, tests and command-line tools, `params` fills the placeholders of the message."""

    def __init__(self, code: str, message: str, /, **params: Any) -> None:
        self.code = code
        self.params: Mapping[str, Any] = params
        self.message = message.format(**params) if params else message
        super().__init__(self.message)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.message!r})"


class InvalidHash(InvalidValue):
    """A hash value (or its PDQ quality) was refused."""


class InvalidIndicator(InvalidValue):
    """A payment indicator (address, IBAN, descriptor, domain) was refused."""
