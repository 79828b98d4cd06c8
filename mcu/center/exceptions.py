"""Refusals of the center's services: the message says why, in Russian, and which field."""

from __future__ import annotations


class CenterInvalid(ValueError):
    """A change the rules do not allow. ``field`` names the form field to show it beside
    (``None``: the form as a whole)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
