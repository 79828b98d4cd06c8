"""What every workbook shares: the caption, the number formats, progress reporting."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from mcu.models import Municipality
from reports.periods import Period

Progress = Callable[[int], None]

PERCENT_FORMAT = "0.0"
HOURS_FORMAT = "0.0"
NO_DATA = gettext_noop("нет данных")


def no_progress(_percent: int) -> None:
    return None


def caption(title: str, municipality: Municipality, period: Period) -> str:
    return _("%(title)s: %(municipality)s, %(period)s. Время местное (%(tz)s).") % {
        "title": title,
        "municipality": municipality.name,
        "period": period.label,
        "tz": municipality.timezone,
    }


def or_no_data(value: Decimal | float | None) -> Decimal | float | str:
    """A number where there is one; the words «нет данных» where there is none (never 0)."""
    return _(NO_DATA) if value is None else value
