"""Rosters of the five municipalities, transcribed from their founding acts (``shared/seeds/``).

``ROSTERS`` maps a municipality's slug to its roster; ``python manage.py seed`` loads them.
"""

from roles.seed_data import askiz, lensky, lovozero, oktyabrsky, sosnovoborsk
from roles.seed_data.types import RosterSeed

ROSTERS: dict[str, RosterSeed] = {
    roster.slug: roster
    for roster in (
        lensky.ROSTER,
        askiz.ROSTER,
        sosnovoborsk.ROSTER,
        lovozero.ROSTER,
        oktyabrsky.ROSTER,
    )
}

__all__ = ["ROSTERS"]
