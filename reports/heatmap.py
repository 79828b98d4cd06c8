"""Тепловая карта: topic × settlement (or × sector block) for a period, as in the ЦУР's BI.

A cell counts the incidents received in the period; its overdue share is the part of them
answered late or still open past their term at the end of the period (capped at now) — the
definitions of ``reports.selectors``. Rows are top-level topics of the рубрикатор.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from incidents.models import Incident, Topic
from mcu.models import Municipality
from reports.periods import Period
from reports.selectors import ANSWERED_LATE, as_of, overdue_at, percent, received_in
from roles.models import OrgUnit, Sector


class HeatmapAxis(StrEnum):
    SETTLEMENT = "settlement"
    SECTOR = "sector"


class HeatmapColour(StrEnum):
    COUNT = "count"
    OVERDUE = "overdue"


@dataclass(frozen=True)
class HeatCell:
    count: int
    overdue: int

    @property
    def overdue_percent(self) -> float | None:
        return percent(self.overdue, self.count)


@dataclass
class Heatmap:
    rows: list[tuple[int | None, str]]
    columns: list[tuple[int | None, str]]
    cells: dict[tuple[int | None, int | None], HeatCell] = field(default_factory=dict)

    @property
    def max_count(self) -> int:
        return max((cell.count for cell in self.cells.values()), default=0)

    def cell(self, row: int | None, column: int | None) -> HeatCell | None:
        return self.cells.get((row, column))


def _column_field(axis: HeatmapAxis) -> str:
    return "settlement_id" if axis == HeatmapAxis.SETTLEMENT else "sector_id"


def late_or_overdue(period: Period) -> Q:
    return (Q(answered_at__isnull=False) & ANSWERED_LATE) | overdue_at(as_of(period))


def heatmap(*, municipality: Municipality, period: Period, axis: HeatmapAxis) -> Heatmap:
    column = _column_field(axis)
    cells = {
        (row["root"], row[column]): HeatCell(row["n"], row["late"])
        for row in Incident.objects.filter(received_in(period), municipality=municipality)
        .annotate(root=Coalesce(F("topic__parent_id"), F("topic_id")))
        .values("root", column)
        .annotate(n=Count("pk"), late=Count("pk", filter=late_or_overdue(period)))
        .order_by()
    }
    topic_names = dict(
        Topic.objects.filter(pk__in={key[0] for key in cells if key[0]}).values_list("pk", "name")
    )
    column_ids = {key[1] for key in cells if key[1]}
    source: QuerySet[OrgUnit] | QuerySet[Sector] = (
        OrgUnit.objects.filter(municipality=municipality, pk__in=column_ids)
        if axis == HeatmapAxis.SETTLEMENT
        else Sector.objects.filter(municipality=municipality, pk__in=column_ids)
    )
    column_names = dict(source.values_list("pk", "name"))
    rows = sorted(
        (
            (pk, topic_names.get(pk, "") if pk else _("Тема не определена"))
            for pk in {k[0] for k in cells}
        ),
        key=lambda item: (item[0] is None, item[1]),
    )
    none_label = _("Поселение не указано") if axis == HeatmapAxis.SETTLEMENT else _("Без блока")
    columns = sorted(
        ((pk, column_names.get(pk, "") if pk else none_label) for pk in {k[1] for k in cells}),
        key=lambda item: (item[0] is None, item[1]),
    )
    return Heatmap(rows=rows, columns=columns, cells=cells)


def heatmap_cell_incidents(
    *,
    municipality: Municipality,
    period: Period,
    axis: HeatmapAxis,
    topic_id: int | None,
    column_id: int | None,
) -> QuerySet[Incident]:
    """The incidents behind one cell (the page links every cell here)."""
    rows = Incident.objects.filter(received_in(period), municipality=municipality)
    if topic_id is None:
        rows = rows.filter(topic__isnull=True)
    else:
        rows = rows.filter(Q(topic_id=topic_id) | Q(topic__parent_id=topic_id))
    rows = rows.filter(**{_column_field(axis): column_id})
    return rows.select_related("topic__parent", "sector").order_by("-received_at", "-pk")
