"""Forms of the center's pages: they parse and show errors beside the fields; rules live in the
services (``CenterInvalid`` lands beside the field it names)."""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import URLField as URLModelField
from django.utils.translation import gettext_lazy as _

from incidents.models import Incident, Topic
from mcu.center.access import roster_users
from mcu.center.exceptions import CenterInvalid
from mcu.center.hearings import HEARING_FIELDS
from mcu.models import MeasureStatus, Meeting, Municipality, PublicHearing
from roles.models import Sector, User

if TYPE_CHECKING:
    _UserField = forms.ModelChoiceField[User]
    _UsersField = forms.ModelMultipleChoiceField[User]
    _TopicsField = forms.ModelMultipleChoiceField[Topic]
    _SectorField = forms.ModelChoiceField[Sector]
else:
    _UserField = forms.ModelChoiceField
    _UsersField = forms.ModelMultipleChoiceField
    _TopicsField = forms.ModelMultipleChoiceField
    _SectorField = forms.ModelChoiceField

# Dates a person means; outside them a typo (year 20255) would overflow the term arithmetic.
MIN_DATE, MAX_DATE = date(2000, 1, 1), date(2100, 12, 31)
MAX_LINKED_INCIDENTS = 100


def _date_field(label: Any, *, required: bool = True) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        input_formats=["%Y-%m-%d", "%d.%m.%Y"],
    )


def _check_date(value: date | None) -> None:
    if value is not None and not MIN_DATE <= value <= MAX_DATE:
        raise ValidationError(_("Укажите дату между 2000 и 2100 годом."))


class CenterForm(forms.Form):
    """A form bound to one municipality; shows a service's refusal next to the right field."""

    def __init__(self, *args: Any, municipality: Municipality, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.municipality = municipality
        for field in self.fields.values():
            if isinstance(field, forms.DateField):
                field.validators.append(_check_date)

    def add_service_error(self, error: CenterInvalid) -> None:
        field = error.field if error.field in self.fields else None
        self.add_error(field, error.message)

    def _roster(self) -> Any:
        return roster_users(municipality=self.municipality)


def _topics_queryset() -> Any:
    return (
        Topic.objects.filter(is_active=True)
        .select_related("parent")
        .order_by("parent__order", "parent_id", "order", "name")
    )


class MeetingForm(CenterForm):
    title = forms.CharField(label=_("Тема заседания"), max_length=300)
    held_on = _date_field(_("Дата заседания"))
    form = forms.ChoiceField(label=_("Форма"), choices=Meeting.Form.choices)
    chair: _UserField = forms.ModelChoiceField(
        label=_("Председательствующий"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("Куратор МЦУ; в его отсутствие — руководитель МЦУ."),
    )
    participants: _UsersField = forms.ModelMultipleChoiceField(
        label=_("Участники (из состава МЦУ)"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    agenda = forms.CharField(label=_("Повестка"), widget=forms.Textarea(attrs={"rows": 4}))
    topics: _TopicsField = forms.ModelMultipleChoiceField(
        label=_("Темы"),
        queryset=Topic.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    incident_numbers = forms.CharField(
        label=_("Инциденты (номера через запятую)"), required=False, max_length=2000
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["chair"].queryset = self._roster()  # type: ignore[attr-defined]
        self.fields["participants"].queryset = self._roster()  # type: ignore[attr-defined]
        self.fields["topics"].queryset = _topics_queryset()  # type: ignore[attr-defined]

    def clean_incident_numbers(self) -> list[Incident]:
        return incidents_from_numbers(self.cleaned_data.get("incident_numbers", ""), self)


def incidents_from_numbers(raw: str, form: CenterForm) -> list[Incident]:
    """«12, 15 18» → those incidents of this municipality; unknown numbers are an error."""
    tokens = [t for t in re.split(r"[\s,;]+", raw or "") if t]
    numbers: list[int] = []
    for token in tokens:
        cleaned = token.lstrip("№")
        if not cleaned.isdigit() or len(cleaned) > 12:
            raise ValidationError(
                _("«%(value)s» — не номер инцидента."), params={"value": token[:20]}
            )
        numbers.append(int(cleaned))
    if len(set(numbers)) > MAX_LINKED_INCIDENTS:
        raise ValidationError(_("Не больше %(n)s инцидентов."), params={"n": MAX_LINKED_INCIDENTS})
    found = {
        row.pk: row
        for row in Incident.objects.filter(municipality=form.municipality, pk__in=set(numbers))
    }
    missing = sorted(set(numbers) - set(found))
    if missing:
        # Another municipality's number is «не найден» too: its existence is not told.
        raise ValidationError(
            _("Инциденты не найдены: %(numbers)s."),
            params={"numbers": ", ".join(str(n) for n in missing)},
        )
    return [found[n] for n in sorted(found)]


class DecisionForm(CenterForm):
    text = forms.CharField(label=_("Решение"), widget=forms.Textarea(attrs={"rows": 3}))


class SignForm(CenterForm):
    number = forms.CharField(label=_("Номер протокола"), max_length=50)
    signed_on = _date_field(_("Дата подписания"))


class AssignmentForm(CenterForm):
    text = forms.CharField(label=_("Поручение"), widget=forms.Textarea(attrs={"rows": 3}))
    executor: _UserField = forms.ModelChoiceField(
        label=_("Исполнитель"), queryset=User.objects.none()
    )
    due_date = _date_field(_("Срок исполнения (включительно)"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["executor"].queryset = self._roster()  # type: ignore[attr-defined]


class ReportForm(CenterForm):
    report = forms.CharField(
        label=_("Отчёт об исполнении / основание"), widget=forms.Textarea(attrs={"rows": 3})
    )


class RoadmapForm(CenterForm):
    title = forms.CharField(label=_("Название"), max_length=300)
    sector: _SectorField = forms.ModelChoiceField(
        label=_("Отраслевой блок"),
        queryset=None,  # per municipality: the manager needs a scope
    )
    topics: _TopicsField = forms.ModelMultipleChoiceField(
        label=_("Темы (с подтемами)"),
        queryset=Topic.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    goal = forms.CharField(label=_("Цель"), widget=forms.Textarea(attrs={"rows": 3}))
    responsible: _UsersField = forms.ModelMultipleChoiceField(
        label=_("Ответственные должностные лица"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sector"].queryset = Sector.objects.filter(  # type: ignore[attr-defined]
            municipality=self.municipality, is_active=True
        ).order_by("order", "name")
        self.fields["topics"].queryset = _topics_queryset()  # type: ignore[attr-defined]
        self.fields["responsible"].queryset = self._roster()  # type: ignore[attr-defined]


class MeasureForm(CenterForm):
    title = forms.CharField(label=_("Мероприятие"), widget=forms.Textarea(attrs={"rows": 2}))
    responsible: _UserField = forms.ModelChoiceField(
        label=_("Ответственный"), queryset=User.objects.none(), required=False
    )
    due_date = _date_field(_("Срок"))
    status = forms.ChoiceField(
        label=_("Статус"), choices=MeasureStatus.choices, initial=MeasureStatus.PLANNED
    )
    done_on = _date_field(_("Выполнено (дата)"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["responsible"].queryset = self._roster()  # type: ignore[attr-defined]


class LinkIncidentForm(CenterForm):
    incident = forms.CharField(label=_("№ инцидента"), max_length=20)

    def clean_incident(self) -> Incident:
        found = incidents_from_numbers(self.cleaned_data.get("incident", ""), self)
        if len(found) != 1:
            raise ValidationError(_("Укажите один номер инцидента."))
        return found[0]


def _https_by_default(field: Any, **kwargs: Any) -> Any:
    # A link typed without a scheme is the ПОС or a social network: https, as Django 6 will.
    if isinstance(field, URLModelField):
        kwargs["assume_scheme"] = "https"
    return field.formfield(**kwargs)


class HearingForm(CenterForm):
    """The registry's fields, as the model defines them (labels, choices, lengths)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields.update(
            forms.fields_for_model(
                PublicHearing,
                fields=HEARING_FIELDS,
                formfield_callback=_https_by_default,
                widgets={
                    "starts_on": forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
                    "ends_on": forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
                    "result": forms.Textarea(attrs={"rows": 3}),
                    "decision": forms.Textarea(attrs={"rows": 3}),
                },
            )
        )
        for name in ("starts_on", "ends_on"):
            self.fields[name].validators.append(_check_date)
