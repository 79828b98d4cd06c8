"""Forms of the settings pages: they parse and show errors; the rules live in the services."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from incidents.configuration.exceptions import SettingsInvalid
from incidents.configuration.selectors import roster_people, settlements_of
from incidents.models import AnswerTemplate, SlaPolicy, Topic
from integrations.models import RoutingRule
from mcu.models import Municipality
from roles.models import Channel, OrgUnit, Role, Sector, User

if TYPE_CHECKING:
    _TopicField = forms.ModelChoiceField[Topic]
else:  # django-stubs makes the field generic; Django itself does not
    _TopicField = forms.ModelChoiceField


class TopicChoiceField(_TopicField):
    def label_from_instance(self, obj: Topic) -> str:
        return f"{obj.parent.name} → {obj.name}" if obj.parent else obj.name


def _topics() -> Any:
    return (
        Topic.objects.filter(is_active=True)
        .select_related("parent")
        .order_by("parent__order", "order", "name")
    )


def _date_input() -> forms.DateInput:
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


# Roster dates within the life of the acts: a typo like year 1 or 9999 is an error on the field,
# not date arithmetic overflowing in the service.
ROSTER_DATES = [MinValueValidator(date(2000, 1, 1)), MaxValueValidator(date(2100, 12, 31))]


class SettingsForm(forms.Form):
    """A form that can show a service's ``SettingsInvalid`` next to the right fields."""

    # A service's field name → the form field that shows it, where they differ.
    error_fields: dict[str, str] = {}

    def add_service_errors(self, error: SettingsInvalid) -> None:
        for name, message in error.errors.items():
            field = self.error_fields.get(name, name) if name else None
            self.add_error(field if field in self.fields else None, message)


WARN_UNITS = {
    "minutes": timedelta(minutes=1),
    "hours": timedelta(hours=1),
    "days": timedelta(days=1),
}


class SlaPolicyForm(SettingsForm):
    error_fields = {"warn_before": "warn_amount"}

    channel = forms.ChoiceField(label=_("Канал"), choices=Channel.choices)
    stage = forms.ChoiceField(
        label=_("Этап"), choices=SlaPolicy.Stage.choices, initial=SlaPolicy.Stage.ANSWER
    )
    fast_track = forms.BooleanField(label=_("Фаст-трек (только ПОС)"), required=False)
    topic = TopicChoiceField(
        label=_("Тема"),
        queryset=Topic.objects.none(),
        required=False,
        empty_label=_("— любая тема —"),
        help_text=_("Срок темы важнее срока канала; подтема наследует срок темы."),
    )
    amount = forms.IntegerField(label=_("Срок"), min_value=1, max_value=3650)
    unit = forms.ChoiceField(
        label=_("Единица"), choices=SlaPolicy._meta.get_field("unit").choices or []
    )
    warn_amount = forms.IntegerField(
        label=_("Предупредить за"), min_value=0, max_value=10_000, initial=1
    )
    warn_unit = forms.ChoiceField(
        label=_("Единица предупреждения"),
        choices=[("minutes", _("минут")), ("hours", _("часов")), ("days", _("дней"))],
        initial="hours",
    )
    move_off_day = forms.BooleanField(
        label=_("Переносить последний день с выходного на рабочий (ГК РФ ст. 193)"),
        required=False,
    )
    source = forms.CharField(
        label=_("Основание (акт, пункт)"),
        max_length=300,
        required=False,
        help_text=_("Например: «Регламент §2.5: 25 календарных дней» или «59-ФЗ ст. 12 ч. 1»."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["topic"].queryset = _topics()  # type: ignore[attr-defined]

    @classmethod
    def initial_for(cls, policy: SlaPolicy) -> dict[str, Any]:
        seconds = int(policy.warn_before.total_seconds())
        for unit in ("days", "hours", "minutes"):
            size = int(WARN_UNITS[unit].total_seconds())
            if seconds % size == 0:
                break
        return {
            "channel": policy.channel,
            "stage": policy.stage,
            "fast_track": policy.fast_track,
            "topic": policy.topic_id,
            "amount": policy.amount,
            "unit": policy.unit,
            "warn_amount": seconds // size,
            "warn_unit": unit,
            "move_off_day": policy.move_off_day,
            "source": policy.source,
        }

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "channel": data["channel"],
            "stage": data["stage"],
            "fast_track": data["fast_track"],
            "topic": data["topic"],
            "amount": data["amount"],
            "unit": data["unit"],
            "warn_before": data["warn_amount"] * WARN_UNITS[data["warn_unit"]],
            "move_off_day": data["move_off_day"],
            "source": data["source"].strip(),
        }


class RoutingRuleForm(SettingsForm):
    priority = forms.IntegerField(
        label=_("Приоритет"),
        min_value=0,
        max_value=32_767,
        initial=100,
        help_text=_("Правила проверяются по возрастанию; первое подходящее решает."),
    )
    channel = forms.ChoiceField(
        label=_("Канал"), choices=[("", _("— любой —")), *Channel.choices], required=False
    )
    category_code = forms.CharField(
        label=_("Код категории в канале"),
        max_length=100,
        required=False,
        help_text=RoutingRule._meta.get_field("category_code").help_text,
    )
    keywords = forms.CharField(
        label=_("Ключевые слова"),
        max_length=500,
        required=False,
        help_text=RoutingRule._meta.get_field("keywords").help_text,
    )
    topic = TopicChoiceField(
        label=_("Тема"), queryset=Topic.objects.none(), required=False, empty_label=_("— нет —")
    )
    sector: forms.ModelChoiceField[Sector] = forms.ModelChoiceField(
        label=_("Отраслевой блок"),
        queryset=None,  # set per municipality: the manager refuses to run unscoped
        required=False,
        empty_label=_("— по рубрикатору —"),
    )
    settlement_keyword = forms.CharField(
        label=_("Населённый пункт в адресе"),
        max_length=200,
        required=False,
        help_text=RoutingRule._meta.get_field("settlement_keyword").help_text,
    )
    settlement: forms.ModelChoiceField[OrgUnit] = forms.ModelChoiceField(
        label=_("Поселение"),
        queryset=None,  # set per municipality
        required=False,
        empty_label=_("— нет —"),
    )
    is_active = forms.BooleanField(label=_("Действует"), required=False, initial=True)

    def __init__(self, *args: Any, municipality: Municipality, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["topic"].queryset = _topics()  # type: ignore[attr-defined]
        self.fields["sector"].queryset = Sector.objects.filter(  # type: ignore[attr-defined]
            municipality=municipality, is_active=True
        ).order_by("order")
        self.fields["settlement"].queryset = OrgUnit.objects.filter(  # type: ignore[attr-defined]
            pk__in=[unit.pk for unit in settlements_of(municipality)]
        ).order_by("name")

    @classmethod
    def initial_for(cls, rule: RoutingRule) -> dict[str, Any]:
        return {
            "priority": rule.priority,
            "channel": rule.channel,
            "category_code": rule.category_code,
            "keywords": rule.keywords,
            "topic": rule.topic_id,
            "sector": rule.sector_id,
            "settlement_keyword": rule.settlement_keyword,
            "settlement": rule.settlement_id,
            "is_active": rule.is_active,
        }

    def values(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class RoutingTryForm(forms.Form):
    channel = forms.ChoiceField(label=_("Канал"), choices=Channel.choices, initial=Channel.POS)
    category_code = forms.CharField(label=_("Код категории"), max_length=100, required=False)
    text = forms.CharField(
        label=_("Текст сообщения"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    address = forms.CharField(label=_("Адрес"), max_length=500, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("text", "").strip() and not data.get("category_code", "").strip():
            raise forms.ValidationError(_("Введите текст сообщения или код категории."))
        return data


class AnswerTemplateForm(SettingsForm):
    topic = TopicChoiceField(
        label=_("Тема"),
        queryset=Topic.objects.none(),
        required=False,
        empty_label=_("— для любой темы —"),
    )
    title = forms.CharField(label=_("Название"), max_length=200)
    text = forms.CharField(
        label=_("Текст ответа"), max_length=10_000, widget=forms.Textarea(attrs={"rows": 8})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["topic"].queryset = _topics()  # type: ignore[attr-defined]

    @classmethod
    def initial_for(cls, template: AnswerTemplate) -> dict[str, Any]:
        return {"topic": template.topic_id, "title": template.title, "text": template.text}

    def values(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


# ------------------------------------------------------------------ roster


class PersonFields(SettingsForm):
    """Who: a person the roster already knows, or anyone by their login."""

    person = forms.ModelChoiceField(
        label=_("Сотрудник"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("— выберите —"),
    )
    username = forms.CharField(
        label=_("или логин"),
        max_length=150,
        required=False,
        help_text=_("Для сотрудника, которого ещё нет в составе МЦУ."),
    )

    def __init__(self, *args: Any, municipality: Municipality, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            pk__in=[user.pk for user in roster_people(municipality=municipality)]
        ).order_by("full_name", "username")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        username = (data.get("username") or "").strip()
        if data.get("person") is None and not username:
            self.add_error("person", _("Выберите сотрудника или введите его логин."))
        elif username:
            if data.get("person") is not None:
                self.add_error("username", _("Укажите что-то одно: сотрудника или логин."))
            else:
                user = User.objects.filter(username=username, is_active=True).first()
                if user is None:
                    self.add_error("username", _("Пользователь с таким логином не найден."))
                data["person"] = user
        return data


class AppointForm(PersonFields):
    role = forms.ChoiceField(
        label=_("Роль в МЦУ"), choices=[r for r in Role.choices if r[0] != Role.REGIONAL_ANALYST]
    )
    sector: forms.ModelChoiceField[Sector] = forms.ModelChoiceField(
        label=_("Отраслевой блок"),
        queryset=None,  # set per municipality
        required=False,
    )
    channel = forms.ChoiceField(
        label=_("Канал"), choices=[("", "—"), *Channel.choices], required=False
    )
    org_unit: forms.ModelChoiceField[OrgUnit] = forms.ModelChoiceField(
        label=_("Подразделение"),
        queryset=None,  # set per municipality
        required=False,
    )
    position_title = forms.CharField(label=_("Должность"), max_length=1000, required=False)
    on = forms.DateField(label=_("Действует с"), widget=_date_input(), validators=ROSTER_DATES)
    note = forms.CharField(
        label=_("Основание, примечание"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, municipality: Municipality, **kwargs: Any) -> None:
        super().__init__(*args, municipality=municipality, **kwargs)
        self.fields["sector"].queryset = Sector.objects.filter(  # type: ignore[attr-defined]
            municipality=municipality, is_active=True
        ).order_by("order")
        self.fields["org_unit"].queryset = OrgUnit.objects.filter(  # type: ignore[attr-defined]
            municipality=municipality, is_active=True
        ).order_by("kind", "name")

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "user": data["person"],
            "role": data["role"],
            "sector": data["sector"],
            "channel": data["channel"],
            "org_unit": data["org_unit"],
            "position_title": data["position_title"].strip(),
            "on": data["on"],
            "note": data["note"].strip(),
        }


class EndForm(SettingsForm):
    on = forms.DateField(label=_("Последний день"), widget=_date_input(), validators=ROSTER_DATES)
    note = forms.CharField(
        label=_("Основание, примечание"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReplaceForm(PersonFields):
    on = forms.DateField(
        label=_("Новый сотрудник с"), widget=_date_input(), validators=ROSTER_DATES
    )
    note = forms.CharField(
        label=_("Основание, примечание"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def today_initial(municipality: Municipality) -> dict[str, date]:
    return {"on": municipality.local_time().date()}
