"""Errors of the settings services: what is wrong, in Russian, and which form field it is about."""

from __future__ import annotations


class SettingsInvalid(ValueError):
    """A settings change the rules do not allow. ``errors`` maps a form field (``None``: the
    form as a whole) to the message shown next to it."""

    def __init__(self, errors: dict[str | None, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors
