"""A fixed data set with hand-computed figures: ISO week 46 of 2026 (Mon 9 – Sun 15 November)
and the week before, in Октябрьский (Asia/Yekaterinburg, UTC+5) and Ленский (Asia/Yakutsk,
UTC+9).

Rows are written straight to the table with the times a real history would leave (received,
answered, closed, the term), so every figure below can be checked by hand from this page. The
expected figures are typed in, never computed by the code under test.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from incidents.models import Incident, IncidentEvent, Status, Topic
from mcu.models import Municipality
from mcu.tenancy import municipality_scope
from roles.models import Sector

# Friday of week 47: week 46 is complete, week 47 still running.
NOW = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)
WEEK = "2026-W46"
EVIL = '=HYPERLINK("http://evil.example/","жми")'


def at(municipality: Municipality, text: str) -> datetime:
    """``"2026-11-09 10:00"`` local to the municipality, as an aware datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=municipality.tz)


def _make(municipality: Municipality, key: str, **fields: Any) -> Incident:
    values: dict[str, Any] = {
        "municipality": municipality,
        "channel": "im",
        "external_id": f"{municipality.slug}-{key}",
        "text": f"Сообщение {key}",
        "status": Status.ASSIGNED,
    }
    values.update(fields)
    for name in ("received_at", "due_at", "answered_at", "closed_at"):
        if isinstance(values.get(name), str):
            values[name] = at(municipality, values[name])
    if values.get("answered_at") and values.get("due_at"):
        values["answered_late"] = values["answered_at"] >= values["due_at"]
    return Incident.objects.create(**values)


def build(oktyabrsky: Municipality, lensky: Municipality) -> dict[str, Incident]:
    made: dict[str, Incident] = {}
    potholes = Topic.objects.get(code="roads.potholes")
    bus = Topic.objects.get(code="transport")
    with municipality_scope(oktyabrsky.pk):
        roads = Sector.objects.get(municipality=oktyabrsky, code="roads")
        transport = Sector.objects.get(municipality=oktyabrsky, code="transport")
        o = oktyabrsky
        # --- week 46 ---
        made["o1"] = _make(o, "o1", sector=roads, topic=potholes, status=Status.ANSWERED,
                           received_at="2026-11-09 10:00", due_at="2026-11-09 13:00",
                           answered_at="2026-11-09 12:00", satisfaction=5)  # fmt: skip
        made["o2"] = _make(o, "o2", sector=roads, topic=potholes, status=Status.CLOSED,
                           received_at="2026-11-10 09:00", due_at="2026-11-10 12:00",
                           answered_at="2026-11-10 15:00", closed_at="2026-11-11 10:00",
                           satisfaction=2)  # fmt: skip
        made["o3"] = _make(o, "o3", channel="pos", sector=roads, topic=potholes,
                           status=Status.IN_PROGRESS, received_at="2026-11-11 08:00",
                           due_at="2026-12-06 00:00")  # fmt: skip
        made["o4"] = _make(o, "o4", channel="pos", sector=transport, topic=bus,
                           status=Status.ASSIGNED, is_repeat=True, text=EVIL,
                           address="+7 улица Мира, 1", received_at="2026-11-12 11:00",
                           due_at="2026-11-13 00:00")  # fmt: skip
        # Sunday 23:30 local is still week 46 (18:30 UTC).
        made["o5"] = _make(o, "o5", status=Status.NEW, received_at="2026-11-15 23:30",
                           due_at="2026-11-16 02:30")  # fmt: skip
        # Monday 00:10 local is week 47, although it is still Sunday in UTC.
        made["o6"] = _make(o, "o6", sector=roads, received_at="2026-11-16 00:10",
                           due_at="2026-11-16 03:10")  # fmt: skip
        made["o12"] = _make(o, "o12", channel="pos", sector=roads, topic=potholes,
                            status=Status.MERGED, is_repeat=True,
                            received_at="2026-11-13 10:00", due_at="2026-11-13 11:00")  # fmt: skip
        made["o13"] = _make(o, "o13", channel="email", status=Status.ANSWERED,
                            received_at="2026-11-14 10:00", due_at="2026-11-14 12:00",
                            answered_at="2026-11-17 10:00")  # fmt: skip
        # --- week 45, handled in week 46 ---
        made["o7"] = _make(o, "o7", channel="appeal", sector=transport, status=Status.REJECTED,
                           received_at="2026-11-03 10:00", due_at="2026-12-03 00:00",
                           closed_at="2026-11-10 10:00")  # fmt: skip
        made["o8"] = _make(o, "o8", channel="pos", sector=roads, status=Status.FORWARDED,
                           received_at="2026-11-04 10:00", due_at="2026-11-29 00:00",
                           closed_at="2026-11-12 09:00")  # fmt: skip
        made["o9"] = _make(o, "o9", sector=roads, topic=potholes, status=Status.ANSWERED,
                           received_at="2026-11-05 10:00", due_at="2026-11-05 13:00",
                           answered_at="2026-11-05 12:00")  # fmt: skip
        made["o10"] = _make(o, "o10", channel="pos", sector=roads, status=Status.POSTPONED,
                            received_at="2026-11-06 10:00", due_at="2026-11-20 00:00")  # fmt: skip
        IncidentEvent.objects.create(
            municipality=o,
            incident=made["o10"],
            kind=IncidentEvent.Kind.TRANSITION,
            from_status=Status.IN_PROGRESS,
            to_status=Status.POSTPONED,
            at=at(o, "2026-11-10 15:00"),
        )
        made["o11"] = _make(o, "o11", sector=transport, topic=bus, status=Status.IN_PROGRESS,
                            text="Автобус\x07 не пришёл\x1f", received_at="2026-11-07 10:00",
                            due_at="2026-11-07 13:00")  # fmt: skip
    with municipality_scope(lensky.pk):
        production = Sector.objects.get(municipality=lensky, code="production")
        social = Sector.objects.get(municipality=lensky, code="social")
        lk = lensky
        made["l1"] = _make(lk, "l1", sector=production, status=Status.NEW,
                           received_at="2026-11-15 23:30", due_at="2026-11-16 02:30")  # fmt: skip
        made["l2"] = _make(lk, "l2", sector=production, status=Status.ANSWERED,
                           received_at="2026-11-09 00:30", due_at="2026-11-09 03:30",
                           answered_at="2026-11-09 02:00")  # fmt: skip
        made["l3"] = _make(lk, "l3", channel="pos", sector=social, status=Status.IN_PROGRESS,
                           received_at="2026-11-08 23:00", due_at="2026-12-09 00:00")  # fmt: skip
        made["l4"] = _make(lk, "l4", channel="edds", sector=production, status=Status.ASSIGNED,
                           text="Ленский: прорыв трубы", received_at="2026-11-11 10:00",
                           due_at="2026-11-12 10:00")  # fmt: skip
    return made


# --- expected figures, by hand -----------------------------------------------------------------
# Order of the summary fields: received, new, repeat, answered, answered on time, overdue,
# postponed, rejected, forwarded.
Z = (0, 0, 0, 0, 0, 0, 0, 0, 0)
OKTYABRSKY_W46 = {
    # o1, o2, o5 received (o6 is week 47); o1 on time, o2 late; o2 + o11 (open past due) overdue.
    "im": (3, 3, 0, 2, 1, 2, 0, 0, 0),
    # o3, o4, o12 (o4, o12 repeats); o4 open past due; o10 postponed; o8 forwarded.
    "pos": (3, 1, 2, 0, 0, 1, 1, 0, 1),
    "edds": Z,
    "appeal": (0, 0, 0, 0, 0, 0, 0, 1, 0),  # o7 rejected in week 46
    "gospublic": Z,
    "email": (1, 1, 0, 0, 0, 1, 0, 0, 0),  # o13: open at Sunday 24:00, past its term
}
OKTYABRSKY_W45 = {
    "im": (2, 2, 0, 1, 1, 1, 0, 0, 0),  # o9 on time; o11 open past due at the week's end
    "pos": (2, 2, 0, 0, 0, 0, 0, 0, 0),  # o8, o10
    "edds": Z,
    "appeal": (1, 1, 0, 0, 0, 0, 0, 0, 0),  # o7
    "gospublic": Z,
    "email": Z,
}
LENSKY_W46 = {
    "im": (2, 2, 0, 1, 1, 0, 0, 0, 0),  # l1 (Sunday 23:30), l2 (Monday 00:30 = Sunday UTC)
    "pos": Z,
    "edds": (1, 1, 0, 0, 0, 1, 0, 0, 0),  # l4 open past due
    "appeal": Z,
    "gospublic": Z,
    "email": Z,
}
LENSKY_W45 = {
    "im": Z,
    "pos": (1, 1, 0, 0, 0, 0, 0, 0, 0),  # l3
    "edds": Z,
    "appeal": Z,
    "gospublic": Z,
    "email": Z,
}

OKTYABRSKY_BLOCKS = (
    "Жилищно-коммунальное хозяйство и энергетика",
    "Твердые коммунальные отходы",
    "Дороги",
    "Транспорт",
    "Социальная политика",
    "Благоустройство",
    "Экономика и финансы",
    "Муниципальная собственность",
)
