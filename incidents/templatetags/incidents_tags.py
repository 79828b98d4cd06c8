"""Template helpers of the staff pages: status labels and time left, in Russian."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

from incidents.models import Status

register = template.Library()


@register.filter
def status_label(code: str) -> str:
    """A status code from an event row (stored as text) shown as its label."""
    try:
        return str(Status(code).label)
    except ValueError:
        return code


@register.filter
def duration(seconds: int | float | None) -> str:
    """«2 ч 05 мин», «3 дн 4 ч» — coarse enough to read at a glance; sign ignored."""
    if seconds is None:
        return ""
    total = abs(int(seconds)) // 60
    days, rest = divmod(total, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("%(d)s дн %(h)s ч") % {"d": days, "h": hours}
    if hours:
        return _("%(h)s ч %(m)02d мин") % {"h": hours, "m": minutes}
    return _("%(m)s мин") % {"m": minutes}
