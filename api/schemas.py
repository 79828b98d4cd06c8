"""The documented shapes of the API's responses (OpenAPI via drf-spectacular).

These serializers only describe: responses are built by ``api.presenters`` for speed. The
schemathesis test (``api/tests/test_api_schemathesis.py``) validates every response against
them, so description and behaviour cannot drift apart.
"""

from __future__ import annotations

from rest_framework import serializers

from incidents.models import IncidentEvent, Kind, Scope, Status
from roles.models import Channel


class CodeNameSchema(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class ErrorSchema(serializers.Serializer):
    detail = serializers.CharField()
    # `errors` and `source` are attributes of DRF's own classes: declared under another name
    # and renamed in get_fields() (these serializers only describe the schema).
    errors_ = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False
    )

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["errors"] = fields.pop("errors_")
        return fields


class RegionSchema(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class MunicipalitySchema(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    short_name = serializers.CharField()
    region = RegionSchema()
    timezone = serializers.CharField(help_text="IANA, например Asia/Yekaterinburg")


class MunicipalityListSchema(serializers.Serializer):
    results = MunicipalitySchema(many=True)


class CoordinatesSchema(serializers.Serializer):
    lat = serializers.FloatField()
    lon = serializers.FloatField()


class CitizenSchema(serializers.Serializer):
    name = serializers.CharField(allow_blank=True)
    email = serializers.CharField(allow_blank=True)
    phone = serializers.CharField(allow_blank=True)
    profile_url = serializers.CharField(allow_blank=True)
    postal_address = serializers.CharField(allow_blank=True)
    masked = serializers.BooleanField(
        help_text="true: у токена нет права на персональные данные, значения заменены на ***"
    )


class IncidentSchema(serializers.Serializer):
    id = serializers.IntegerField()
    municipality = serializers.CharField(help_text="slug муниципального образования")
    channel = serializers.ChoiceField(choices=Channel.choices)
    external_id = serializers.CharField(allow_blank=True)
    kind = serializers.ChoiceField(choices=Kind.choices)
    scope = serializers.ChoiceField(choices=Scope.choices)
    status = serializers.ChoiceField(choices=Status.choices)
    topic = CodeNameSchema(allow_null=True)
    sector = CodeNameSchema(allow_null=True)
    fast_track = serializers.BooleanField()
    text = serializers.CharField(allow_blank=True)
    address = serializers.CharField(allow_blank=True)
    settlement = serializers.CharField(allow_null=True)
    coordinates = CoordinatesSchema(allow_null=True)
    received_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField(allow_null=True)
    answered_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    overdue = serializers.BooleanField(
        help_text="открыт и срок прошёл, или ответ дан после срока (вычисляется при чтении)"
    )
    repeat_of = serializers.IntegerField(allow_null=True)
    satisfaction = serializers.IntegerField(allow_null=True, min_value=1, max_value=5)
    citizen = CitizenSchema()
    updated_at = serializers.DateTimeField()


class EventSchema(serializers.Serializer):
    at = serializers.DateTimeField()
    kind = serializers.ChoiceField(choices=IncidentEvent.Kind.choices)
    from_status = serializers.CharField(allow_null=True)
    to_status = serializers.CharField(allow_null=True)
    note = serializers.CharField(allow_blank=True)
    actor = serializers.CharField(allow_null=True)


class AnswerSchema(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField(allow_blank=True)
    interim = serializers.BooleanField()
    published_at = serializers.DateTimeField(allow_null=True)


class IncidentDetailSchema(IncidentSchema):
    events = EventSchema(many=True)
    answers = AnswerSchema(many=True, help_text="только опубликованные ответы")


class IncidentPageSchema(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    resume = serializers.URLField(
        help_text="Ссылка для следующей синхронизации: строки, изменённые после этой страницы."
    )
    results = IncidentSchema(many=True)


class RosterEntrySchema(serializers.Serializer):
    role = CodeNameSchema()
    holder = serializers.CharField(
        allow_null=True, help_text="ФИО; null — роль группы должностных лиц"
    )
    position = serializers.CharField(allow_blank=True)
    sector = CodeNameSchema(allow_null=True)
    channel = serializers.ChoiceField(choices=Channel.choices, allow_null=True)
    org_unit = CodeNameSchema(allow_null=True)
    valid_from = serializers.DateField(allow_null=True)
    valid_to = serializers.DateField(allow_null=True)
    act_clause = serializers.CharField(allow_blank=True)
    source_ = serializers.CharField(help_text="act | admin")

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["source"] = fields.pop("source_")
        return fields


class RosterSchema(serializers.Serializer):
    municipality = serializers.CharField()
    at = serializers.DateField()
    results = RosterEntrySchema(many=True)
