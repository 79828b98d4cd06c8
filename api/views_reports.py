"""Statistics, the weekly workbook and KPIs for the ЦУР — through the reports app's own
selectors and writers (issue 6), so a figure here is the figure of the «Сводка» the МЦУ head
gets on Monday, for any period."""

from __future__ import annotations

from datetime import date
from typing import Any, Final

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from api.errors import BadRequest, bad_param
from api.params import parse_int
from api.views import ERRORS, MUNICIPALITY_PARAM, MunicipalityApiView
from mcu.models import Municipality
from reports.kpi import kpi_actuals_by_month, kpi_lines
from reports.models import ReportKind
from reports.periods import (
    Period,
    PeriodInvalid,
    last_complete_week,
    parse_day,
    parse_week,
    range_period,
)
from reports.selectors import SUMMARY_FIELDS, SUMMARY_LABELS, summary_figures
from reports.services import report_file_name
from reports.workbooks.weekly import weekly_summary_workbook
from reports.xlsx import XLSX_CONTENT_TYPE, workbook_bytes
from roles.models import Channel

Q_: Final = "query"


def _figures_schema(name: str) -> type[serializers.Serializer]:
    fields = {
        field: serializers.IntegerField(help_text=str(SUMMARY_LABELS[field]))
        for field in SUMMARY_FIELDS
    }
    return type(name, (serializers.Serializer,), fields)


FiguresSchema = _figures_schema("SummaryFigures")


class PeriodSchema(serializers.Serializer):
    start = serializers.DateTimeField(help_text="местная полночь первого дня")
    end = serializers.DateTimeField(help_text="местная полночь после последнего дня (не включая)")


class SummarySchema(serializers.Serializer):
    municipality = serializers.CharField()
    from_ = serializers.DateField()
    to = serializers.DateField()
    period = PeriodSchema()
    total = FiguresSchema()
    by_channel = serializers.DictField(
        child=FiguresSchema(), help_text="по каналам: " + ", ".join(Channel.values)
    )
    labels = serializers.DictField(child=serializers.CharField())

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")  # `from` is a Python keyword
        return fields


class KpiActualSchema(serializers.Serializer):
    percent = serializers.FloatField(allow_null=True)
    numerator = serializers.IntegerField(allow_null=True)
    denominator = serializers.IntegerField(allow_null=True)
    note = serializers.CharField(allow_blank=True)


class KpiLineSchema(serializers.Serializer):
    number = serializers.IntegerField()
    indicator = serializers.CharField()
    name = serializers.CharField()
    unit = serializers.CharField(allow_blank=True)
    target = serializers.FloatField(allow_null=True)
    target_note = serializers.CharField(allow_blank=True)
    actual = KpiActualSchema()
    verdict = serializers.CharField()


class KpiMonthSchema(serializers.Serializer):
    month = serializers.CharField(help_text="ГГГГ-ММ")
    actuals = serializers.DictField(child=KpiActualSchema())


class KpisSchema(serializers.Serializer):
    municipality = serializers.CharField()
    year = serializers.IntegerField()
    period = PeriodSchema()
    indicators = KpiLineSchema(many=True)
    months = KpiMonthSchema(many=True)


def _period_json(period: Period) -> dict[str, Any]:
    return {"start": period.start, "end": period.end}


def _local_today(municipality: Municipality) -> date:
    return municipality.local_time().date()


class SummaryView(MunicipalityApiView):
    operation = "stats.summary"
    query_params = frozenset({"municipality", "from", "to"})

    @extend_schema(
        operation_id="stats_summary",
        summary="Цифры еженедельной «Сводки» за любой период (те же селекторы, что у отчёта)",
        parameters=[
            MUNICIPALITY_PARAM,
            OpenApiParameter(
                "from", OpenApiTypes.DATE, Q_, required=True, description="первый день (местный)"
            ),
            OpenApiParameter(
                "to",
                OpenApiTypes.DATE,
                Q_,
                required=True,
                description="последний день, включительно",
            ),
        ],
        responses={200: SummarySchema, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        municipality = self.municipality(request)
        errors: dict[str, list[str]] = {}
        days: dict[str, date] = {}
        for name in ("from", "to"):
            raw = request.query_params.get(name)
            if not raw:
                errors[name] = [_("Обязательный параметр.")]
                continue
            try:
                days[name] = parse_day(raw)
            except PeriodInvalid as error:
                errors[name] = [str(error)]
        if errors:
            raise BadRequest(errors)
        try:
            period = range_period(days["from"], days["to"], municipality.tz)
        except PeriodInvalid as error:
            raise bad_param("to", str(error)) from None
        figures = summary_figures(municipality=municipality, period=period)
        self.log_count = 1
        return Response(
            {
                "municipality": municipality.slug,
                "from": period.first_day,
                "to": period.last_day,
                "period": _period_json(period),
                "total": figures.total,
                "by_channel": figures.by_channel,
                "labels": {name: str(label) for name, label in SUMMARY_LABELS.items()},
            }
        )


class WeeklyReportView(MunicipalityApiView):
    operation = "reports.weekly"
    query_params = frozenset({"municipality", "week"})

    @extend_schema(
        operation_id="reports_weekly",
        summary="Еженедельная сводка — книга Excel (как у руководителя МЦУ)",
        parameters=[
            MUNICIPALITY_PARAM,
            OpenApiParameter(
                "week",
                str,
                Q_,
                description="ISO-неделя ГГГГ-Wнн по местному времени; по умолчанию — прошедшая",
                pattern=r"^\d{4}-?[Ww]\d{1,2}$",
            ),
        ],
        responses={
            (200, XLSX_CONTENT_TYPE): OpenApiResponse(OpenApiTypes.BINARY, description="xlsx"),
            **ERRORS,
        },
    )
    def get(self, request: Request) -> HttpResponse | Response:
        municipality = self.municipality(request)
        raw = request.query_params.get("week")
        try:
            period = (
                parse_week(raw, municipality.tz)
                if raw
                else last_complete_week(timezone.now(), municipality.tz)
            )
        except PeriodInvalid as error:
            raise bad_param("week", str(error)) from None
        workbook = weekly_summary_workbook(municipality=municipality, period=period)
        response = HttpResponse(workbook_bytes(workbook), content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = _attachment(
            report_file_name(
                municipality=municipality, kind=ReportKind.WEEKLY_SUMMARY, period=period
            )
        )
        self.log_count = 1
        return response


def _attachment(filename: str) -> str:
    from django.utils.http import content_disposition_header

    return content_disposition_header(as_attachment=True, filename=filename) or "attachment"


class KpisView(MunicipalityApiView):
    operation = "kpis"
    query_params = frozenset({"municipality", "year"})

    @extend_schema(
        operation_id="kpis_retrieve",
        summary="Целевые показатели: цели года и факт (с начала года по сегодня, и по месяцам)",
        parameters=[
            MUNICIPALITY_PARAM,
            OpenApiParameter(
                "year",
                {"type": "integer", "minimum": 2000, "maximum": 2100},
                Q_,
                description="год; по умолчанию — текущий по местному времени",
            ),
        ],
        responses={200: KpisSchema, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        municipality = self.municipality(request)
        today = _local_today(municipality)
        raw = request.query_params.get("year")
        try:
            year = parse_int(raw, minimum=2000, maximum=2100) if raw else today.year
        except ValidationError as error:
            raise bad_param("year", str(error.messages[0])) from None
        # The year so far for the current year; the whole year otherwise.
        last_day = min(date(year, 12, 31), today) if year == today.year else date(year, 12, 31)
        period = range_period(date(year, 1, 1), last_day, municipality.tz)
        lines = kpi_lines(municipality=municipality, period=period, year=year)
        months = kpi_actuals_by_month(
            municipality=municipality,
            year=year,
            through_month=last_day.month,
            tz=municipality.tz,
        )
        self.log_count = len(lines)
        return Response(
            {
                "municipality": municipality.slug,
                "year": year,
                "period": _period_json(period),
                "indicators": [
                    {
                        "number": line.number,
                        "indicator": line.indicator,
                        "name": line.name,
                        "unit": line.unit,
                        "target": None if line.target is None else float(line.target),
                        "target_note": str(line.target_note),
                        "actual": _actual(line.actual),
                        "verdict": str(line.verdict),
                    }
                    for line in lines
                ],
                "months": [
                    {
                        "month": f"{first_day:%Y-%m}",
                        "actuals": {code: _actual(actual) for code, actual in actuals.items()},
                    }
                    for first_day, actuals in months.items()
                ],
            }
        )


def _actual(actual: Any) -> dict[str, Any]:
    return {
        "percent": actual.percent,
        "numerator": actual.numerator,
        "denominator": actual.denominator,
        "note": str(actual.note),
    }
