"""Written appeals under 59-ФЗ, including those registered in СЭД: 30 days from registration.

Contract (one object; the webhook also takes an array of up to 500)::

    {"registration_number", "registered_at", "applicant": {"name", "postal_address"?, "email"?},
     "addressee"?, "text", "collective"?: bool}
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from incidents.models import Kind
from incidents.services.intake import IncomingMessage
from integrations.channels.base import (
    Adapter,
    AwareDateTimeField,
    CleanTextField,
    MessageTextField,
    ParsedMessage,
)
from roles.models import Channel

NO_ANSWER_ADDRESS = (
    "Нужен почтовый адрес или адрес электронной почты для ответа (59-ФЗ ст. 7): "
    "без него ответ на обращение не дается (ст. 11 ч. 1)."
)


class ApplicantSerializer(serializers.Serializer[Any]):
    name = CleanTextField(max_length=300)
    postal_address = CleanTextField(max_length=500, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True, max_length=254)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # 59-ФЗ ст. 11 ч. 1: such an appeal gets no answer. Refusing it here makes the МЦУ see
        # a failed message in the inbox instead of an incident nobody can ever answer.
        if not attrs.get("postal_address", "").strip() and not attrs.get("email"):
            raise serializers.ValidationError(
                {"postal_address": [NO_ANSWER_ADDRESS], "email": [NO_ANSWER_ADDRESS]}
            )
        return attrs


class AppealSerializer(serializers.Serializer[Any]):
    registration_number = serializers.CharField(max_length=200)
    registered_at = AwareDateTimeField()
    applicant = ApplicantSerializer()
    addressee = CleanTextField(max_length=500, required=False, allow_blank=True)
    text = MessageTextField(error_messages={"blank": "Пустой текст обращения."})
    collective = serializers.BooleanField(required=False)


class AppealAdapter(Adapter):
    channel = Channel.APPEAL.value
    serializer_class = AppealSerializer
    id_field = "registration_number"
    takes_answers = True

    def to_message(self, data: dict[str, Any]) -> ParsedMessage:
        applicant = data["applicant"]
        extra = {"addressee": data["addressee"]} if data.get("addressee") else {}
        if data.get("collective"):
            extra["collective"] = "true"  # 59-ФЗ ст. 4 п. 1: коллективное обращение
        return ParsedMessage(
            message=IncomingMessage(
                channel=self.channel,
                external_id=data["registration_number"].strip(),
                text=data["text"],
                # 59-ФЗ ст. 12 ч. 1: the term runs from registration, which is also when the
                # МЦУ learns of the appeal.
                received_at=data["registered_at"],
                registered_at=data["registered_at"],
                kind=Kind.APPEAL,
                citizen_name=applicant["name"],
                citizen_email=applicant.get("email", ""),
                citizen_postal_address=applicant.get("postal_address", ""),
                extra=extra,
            )
        )
