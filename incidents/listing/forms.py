"""Forms of the incident list: the choices both forms offer, quick selects, the bulk form."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Coalesce
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from incidents.models import RejectReason, Topic
from mcu.models import Municipality
from roles.models import Sector, User

MAX_BULK = 100  # two pages' worth; a bigger batch would hold the request for too long

Choices = list[tuple[str, str]]


def active_members(*, municipality: Municipality) -> QuerySet[User]:
    """People holding a role in the municipality today: who may be made responsible."""
    today = municipality.local_time().date()
    return (
        User.objects.filter(
            Q(role_assignments__valid_from__isnull=True)
            | Q(role_assignments__valid_from__lte=today),
            Q(role_assignments__valid_to__isnull=True) | Q(role_assignments__valid_to__gte=today),
            role_assignments__municipality=municipality,
            is_active=True,
        )
        .distinct()
        .order_by("full_name", "username")
    )


@dataclass(frozen=True)
class ListChoices:
    """The sectors, topics and people the filter and the bulk form offer: read once per
    request (three plain queries) and shared by both forms, instead of each select querying
    its own model through a server-side cursor."""

    sectors: Choices
    topics: Choices
    people: Choices


def list_choices(*, municipality: Municipality) -> ListChoices:
    sectors = [
        (str(pk), name)
        for pk, name in Sector.objects.filter(municipality=municipality)
        .order_by("order", "name")
        .values_list("pk", "name")
    ]
    # The рубрикатор as one list: each topic followed by its subtopics, indented.
    topics = [
        (str(pk), f"— {name}" if parent_id else name)
        for pk, name, parent_id in Topic.objects.filter(is_active=True)
        .annotate(
            root_order=Coalesce("parent__order", "order"), root_key=Coalesce("parent_id", "id")
        )
        .order_by("root_order", "root_key", F("parent_id").asc(nulls_first=True), "order", "name")
        .values_list("pk", "name", "parent_id")
    ]
    people = [
        (str(pk), full_name or position or username)
        for pk, full_name, position, username in active_members(
            municipality=municipality
        ).values_list("pk", "full_name", "position", "username")
    ]
    return ListChoices(sectors=sectors, topics=topics, people=people)


class QuickSelect(forms.Select):
    """A select whose options are written in Python.

    Django renders every ``<option>`` through a template of its own; the list page carries
    ~200 options (the рубрикатор, the roster, twice the blocks), and that alone took more time
    than the page's queries. Same markup, same attributes (``flatatt`` drops False and writes
    True bare, as Django's ``attrs.html`` does).
    """

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        parts: list[str] = []
        for group_name, options, _index in widget["optgroups"]:
            rendered = "".join(
                format_html(
                    '<option value="{}"{}>{}</option>',
                    option["value"],
                    flatatt(option["attrs"]),
                    option["label"],
                )
                for option in options
            )
            parts.append(
                format_html('<optgroup label="{}">{}</optgroup>', group_name, mark_safe(rendered))  # noqa: S308  # built by format_html above
                if group_name
                else rendered
            )
        return format_html(
            '<select name="{}"{}>{}</select>',
            widget["name"],
            flatatt(widget["attrs"]),
            mark_safe("".join(parts)),  # noqa: S308  # every part built by format_html
        )


class YesNoSelect(QuickSelect, forms.NullBooleanSelect):
    """«—» / «Да» / «Нет»; «—» sends an empty value, so links carry no ``overdue=unknown``."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.choices = [("", "—"), ("true", _("Да")), ("false", _("Нет"))]

    def format_value(self, value: Any) -> str:  # type: ignore[override]  # one value, not a list
        return {True: "true", False: "false", "true": "true", "false": "false"}.get(value, "")


class IncidentTokensField(forms.Field):
    """Ticked rows as «id:version»: the version the user saw, so a bulk action on an incident
    someone changed meanwhile is refused for that incident (StaleVersion), not applied blindly."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[tuple[int, int]]:
        if not value:
            return []
        values = value if isinstance(value, list | tuple) else [value]
        tokens: list[tuple[int, int]] = []
        for raw in values:
            pk_text, _sep, version_text = str(raw).partition(":")
            try:
                pk, version = int(pk_text), int(version_text)
            except ValueError:
                raise forms.ValidationError(
                    _("Неверный выбор инцидентов."), code="invalid"
                ) from None
            if not (0 < pk < 2**63 and 0 < version < 2**31):
                raise forms.ValidationError(_("Неверный выбор инцидентов."), code="invalid")
            if (pk, version) not in tokens:
                tokens.append((pk, version))
        return tokens

    def validate(self, value: Any) -> None:
        if not value:
            raise forms.ValidationError(_("Отметьте хотя бы один инцидент."), code="required")
        if len(value) > MAX_BULK:
            raise forms.ValidationError(
                _("Не больше %(n)s инцидентов за раз.") % {"n": MAX_BULK}, code="max"
            )


class BulkForm(forms.Form):
    ASSIGN = "assign"
    REJECT = "reject"
    ACTIONS = ((ASSIGN, _("Назначить")), (REJECT, _("Отклонить: не инцидент")))

    action = forms.ChoiceField(label=_("Действие"), choices=ACTIONS, widget=QuickSelect)
    incidents = IncidentTokensField(label=_("Инциденты"))
    # Ids among the municipality's own blocks and people (ListChoices): a foreign one is not a
    # valid choice. The view turns the id into the object.
    sector = forms.TypedChoiceField(
        label=_("Отраслевой блок"),
        coerce=int,
        empty_value=None,
        required=False,
        widget=QuickSelect,
    )
    responsible = forms.TypedChoiceField(
        label=_("Ответственный"),
        coerce=int,
        empty_value=None,
        required=False,
        widget=QuickSelect,
    )
    reason = forms.ChoiceField(
        label=_("Причина отклонения"),
        choices=[("", "—"), *RejectReason.choices],
        required=False,
        widget=QuickSelect,
    )
    note = forms.CharField(label=_("Комментарий"), max_length=1000, required=False)
    # The list's query string, to come back to the same filtered view.
    query = forms.CharField(widget=forms.HiddenInput, required=False, max_length=2000)

    def __init__(self, *args: Any, choices: ListChoices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, options in (("sector", choices.sectors), ("responsible", choices.people)):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = [("", "—"), *options]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        action = data.get("action")
        if action == self.ASSIGN and not (data.get("sector") or data.get("responsible")):
            self.add_error("sector", _("Укажите отраслевой блок или ответственного."))
        if action == self.REJECT and not data.get("reason"):
            self.add_error("reason", _("Выберите причину из списка."))
        return data
