"""ЕДДС: call cards the duty dispatcher fills in for a phone call; answered by phone, not here.

Contract (one object; the webhook also takes an array of up to 500)::

    {"card_number", "received_at", "caller": {"name"?, "phone"?}, "address", "type",
     "description", "severity"?}

``type`` is the dispatcher's classification of the call; it is the category for routing rules.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from incidents.services.intake import IncomingMessage
from integrations.channels.base import (
    Adapter,
    AwareDateTimeField,
    CleanTextField,
    MessageTextField,
    ParsedMessage,
)
from roles.models import Channel


class CallerSerializer(serializers.Serializer[Any]):
    # An anonymous call is still a card: the caller may give neither name nor phone.
    name = CleanTextField(max_length=300, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)


class EddsSerializer(serializers.Serializer[Any]):
    card_number = serializers.CharField(max_length=200)
    received_at = AwareDateTimeField()
    caller = CallerSerializer()
    address = CleanTextField(max_length=500)
    type = serializers.CharField(max_length=100)
    description = MessageTextField(error_messages={"blank": "Пустое описание вызова."})
    severity = serializers.CharField(max_length=50, required=False, allow_blank=True)


def card_text(*, call_type: str, description: str) -> str:
    """The dispatcher's classification leads the text unless the description already says it:
    the incident shows only its text, and keyword rules read the text too."""
    label = call_type.strip().rstrip(".:;")
    if not label or label.casefold() in description.casefold():
        return description
    return f"{label}: {description}"


class EddsAdapter(Adapter):
    channel = Channel.EDDS.value
    serializer_class = EddsSerializer
    id_field = "card_number"
    takes_answers = False  # the ЕДДС answers the caller by phone

    def to_message(self, data: dict[str, Any]) -> ParsedMessage:
        caller = data["caller"]
        extra = {"severity": str(data["severity"]).strip()} if data.get("severity") else {}
        return ParsedMessage(
            message=IncomingMessage(
                channel=self.channel,
                external_id=data["card_number"].strip(),
                text=card_text(call_type=data["type"], description=data["description"]),
                received_at=data["received_at"],
                citizen_name=caller.get("name", ""),
                citizen_phone=caller.get("phone", ""),
                address=data["address"],
                extra=extra,
            ),
            category_code=data["type"].strip(),
        )
