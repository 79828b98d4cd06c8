"""Domain errors of the incident lifecycle. Each says what was wrong and why, in Russian;
views turn them into form errors and messages, the API into 400/403/409 — never a 500."""

from __future__ import annotations


class IncidentError(Exception):
    """Base: a request the rules refuse. ``message`` is shown to the user as is."""

    code = "invalid"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TransitionNotAllowed(IncidentError):
    code = "transition_not_allowed"


class ActorLacksCapability(IncidentError):
    code = "forbidden"


class StaleVersion(IncidentError):
    """Someone else changed the incident since this user loaded it (optimistic locking)."""

    code = "conflict"


class WrongMunicipality(IncidentError):
    code = "wrong_municipality"


class InvalidInput(IncidentError):
    """Bad data for a service: ``field`` names what is wrong where a form has such a field."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
