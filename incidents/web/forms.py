"""Forms of the incident card's actions and of manual registration.

Forms only parse and shape input; the services decide (status, capability, version) and raise
domain errors that the views put next to the field they name.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from incidents.models import ForwardTarget, Incident, RejectReason, Topic
from incidents.services.answers import MAX_ANSWER_LENGTH
from mcu.models import Municipality
from roles.models import Channel, OrgUnit, RoleAssignment, Sector, User

TEXTAREA = forms.Textarea(attrs={"rows": 4})


class VersionedForm(forms.Form):
    """Every action names the incident version its user saw: a later change is a conflict."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, municipality: Municipality, incident: Incident, **kw: Any):
        self.municipality = municipality
        self.incident = incident
        kw.setdefault("initial", {}).setdefault("version", incident.version)
        super().__init__(*args, **kw)


class EmptyForm(VersionedForm):
    pass


def topic_choices() -> list[tuple[str, list[tuple[int, str]]]]:
    """Topics grouped by their root (an <optgroup> per topic, subtopics inside)."""
    topics = list(Topic.objects.filter(is_active=True).order_by("order", "name"))
    roots = [t for t in topics if t.parent_id is None]
    children: dict[int, list[Topic]] = {}
    for topic in topics:
        if topic.parent_id is not None:
            children.setdefault(topic.parent_id, []).append(topic)
    groups: list[tuple[str, list[tuple[int, str]]]] = []
    for root in roots:
        options = [(root.pk, f"{root.name} (в целом)")]
        options += [(child.pk, child.name) for child in children.get(root.pk, [])]
        groups.append((root.name, options))
    return groups


class TopicField(forms.TypedChoiceField):
    def __init__(self, **kw: Any) -> None:
        super().__init__(coerce=int, empty_value=None, **kw)

    def to_topic(self, value: int | None) -> Topic | None:
        return Topic.objects.filter(pk=value, is_active=True).first() if value else None


class AssignForm(VersionedForm):
    sector: forms.ModelChoiceField[Sector] = forms.ModelChoiceField(
        label=_("Отраслевой блок"), queryset=None, required=False
    )
    org_unit: forms.ModelChoiceField[OrgUnit] = forms.ModelChoiceField(
        label=_("Подразделение / учреждение"), queryset=None, required=False
    )
    responsible: forms.ModelChoiceField[User] = forms.ModelChoiceField(
        label=_("Ответственный"), queryset=None, required=False
    )
    topic = TopicField(label=_("Тема"), required=False)
    note = forms.CharField(label=_("Комментарий"), required=False, max_length=1000)

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        m = self.municipality
        self.fields["sector"].queryset = Sector.objects.filter(  # type: ignore[attr-defined]
            municipality=m, is_active=True
        ).order_by("name")
        self.fields["org_unit"].queryset = OrgUnit.objects.filter(  # type: ignore[attr-defined]
            municipality=m
        ).order_by("name")
        today = m.local_time().date()
        # Anyone who holds a role here today (the service checks the same).
        members = RoleAssignment.objects.active_on(today).filter(municipality=m, user__isnull=False)
        self.fields["responsible"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            is_active=True, pk__in=members.values("user_id")
        ).order_by("full_name")
        self.fields["topic"].choices = [("", "—"), *topic_choices()]  # type: ignore[attr-defined]
        if not self.is_bound:
            self.initial.update(
                sector=self.incident.sector_id,
                org_unit=self.incident.org_unit_id,
                responsible=self.incident.responsible_id,
                topic=self.incident.topic_id,
            )


class DraftForm(VersionedForm):
    text = forms.CharField(
        label=_("Текст ответа"),
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=MAX_ANSWER_LENGTH,
    )


class CommentForm(VersionedForm):
    comment = forms.CharField(label=_("Комментарий"), required=False, widget=TEXTAREA)


class ReasonForm(VersionedForm):
    reason = forms.CharField(label=_("Причина"), widget=TEXTAREA, max_length=2000)


class RejectForm(VersionedForm):
    reason = forms.ChoiceField(label=_("Причина"), choices=RejectReason.choices)
    note = forms.CharField(label=_("Комментарий"), required=False, max_length=1000)


class ForwardForm(VersionedForm):
    target = forms.ChoiceField(label=_("Куда"), choices=ForwardTarget.choices)
    note = forms.CharField(label=_("Комментарий"), required=False, max_length=1000)


class PostponeForm(VersionedForm):
    until = forms.DateField(
        label=_("Решение запланировано на"), widget=forms.DateInput(attrs={"type": "date"})
    )
    interim_answer = forms.CharField(
        label=_("Промежуточный ответ заявителю"), widget=TEXTAREA, max_length=MAX_ANSWER_LENGTH
    )


class ExtendForm(VersionedForm):
    days = forms.IntegerField(label=_("Продлить на, дней"), min_value=1, max_value=30)
    reason = forms.CharField(label=_("Обоснование"), widget=TEXTAREA, max_length=2000)


class IncidentNumberField(forms.IntegerField):
    def __init__(self, **kw: Any) -> None:
        super().__init__(min_value=1, max_value=2**63 - 1, **kw)


class MergeForm(VersionedForm):
    into = IncidentNumberField(label=_("Объединить с инцидентом №"))


class LinkRepeatForm(VersionedForm):
    original = IncidentNumberField(
        label=_("Повтор инцидента №"),
        required=False,
        help_text=_("Оставьте пустым, чтобы снять отметку о повторе."),
    )


class RateForm(VersionedForm):
    rating = forms.TypedChoiceField(
        label=_("Оценка заявителя"),
        coerce=int,
        choices=[(n, str(n)) for n in range(5, 0, -1)],
    )


class RegisterForm(forms.Form):
    """A message that came by phone, visit or paper, typed in by the person who took it."""

    token = forms.UUIDField(widget=forms.HiddenInput)  # one form, one incident (double submit)
    channel = forms.ChoiceField(label=_("Канал поступления"))
    registration_number = forms.CharField(
        label=_("Регистрационный номер"),
        required=False,
        max_length=200,
        help_text=_("Для обращений по 59-ФЗ — номер из СЭД; иначе присвоится автоматически."),
    )
    received_at = forms.DateTimeField(
        label=_("Поступило (местное время)"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M"],
    )
    text = forms.CharField(
        label=_("Суть сообщения"), widget=forms.Textarea(attrs={"rows": 6}), max_length=20_000
    )
    topic = TopicField(label=_("Тема"), required=False)
    fast_track = forms.BooleanField(label=_("Фаст-трек (ПОС)"), required=False)
    address = forms.CharField(label=_("Адрес проблемы"), required=False, max_length=500)
    settlement: forms.ModelChoiceField[OrgUnit] = forms.ModelChoiceField(
        label=_("Населённый пункт"), queryset=None, required=False
    )
    citizen_name = forms.CharField(label=_("Заявитель"), required=False, max_length=300)
    citizen_phone = forms.CharField(label=_("Телефон"), required=False, max_length=40)
    citizen_email = forms.EmailField(label=_("E-mail"), required=False, max_length=254)
    citizen_postal_address = forms.CharField(
        label=_("Почтовый адрес заявителя"), required=False, max_length=500
    )

    def __init__(
        self, *args: Any, municipality: Municipality, channels: list[tuple[str, str]], **kw: Any
    ) -> None:
        super().__init__(*args, **kw)
        self.municipality = municipality
        self.fields["channel"].choices = channels  # type: ignore[attr-defined]
        self.fields["topic"].choices = [("", "—"), *topic_choices()]  # type: ignore[attr-defined]
        self.fields["settlement"].queryset = OrgUnit.objects.filter(  # type: ignore[attr-defined]
            municipality=municipality, kind=OrgUnit.Kind.SETTLEMENT, is_active=True
        ).order_by("name")

    def clean_received_at(self) -> datetime:
        value: datetime = self.cleaned_data["received_at"]
        # The field reads the time in the active zone (the municipality's, set by middleware).
        if value > timezone.now() + timedelta(minutes=5):
            raise forms.ValidationError(_("Время поступления не может быть в будущем."))
        if value < timezone.now() - timedelta(days=365):
            raise forms.ValidationError(_("Время поступления — больше года назад; проверьте дату."))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("channel") == Channel.APPEAL and not (
            data.get("citizen_name")
            and (data.get("citizen_postal_address") or data.get("citizen_email"))
        ):
            # 59-ФЗ ст. 7: a written appeal names the applicant and where to send the answer.
            self.add_error(
                "citizen_postal_address",
                _("Для обращения по 59-ФЗ укажите заявителя и почтовый адрес или e-mail."),
            )
        return data
