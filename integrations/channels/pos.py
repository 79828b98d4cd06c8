"""«Платформа обратной связи» (ПОС, Gosuslugi): messages, with fast-track (10 days, not 25).

Contract (one object; the webhook also takes an array of up to 500)::

    {"id", "created_at", "category": {"code", "name"}, "subcategory"?, "fast_track": bool,
     "text", "address"?, "coordinates"?: {"lat", "lon"},
     "applicant": {"name", "email"?, "phone"?}, "attachments"?: [{"url", "name"}]}
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


class CategorySerializer(serializers.Serializer[Any]):
    code = serializers.CharField(max_length=100)
    name = CleanTextField(max_length=300, required=False, allow_blank=True)


class CoordinatesSerializer(serializers.Serializer[Any]):
    lat = serializers.DecimalField(max_digits=9, decimal_places=6, min_value=-90, max_value=90)
    lon = serializers.DecimalField(max_digits=9, decimal_places=6, min_value=-180, max_value=180)


class ApplicantSerializer(serializers.Serializer[Any]):
    name = CleanTextField(max_length=300)
    email = serializers.EmailField(required=False, allow_blank=True, max_length=254)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=40)


class AttachmentSerializer(serializers.Serializer[Any]):
    url = serializers.URLField(max_length=1000)
    name = CleanTextField(max_length=300, required=False, allow_blank=True)


class PosSerializer(serializers.Serializer[Any]):
    id = serializers.CharField(max_length=200)
    created_at = AwareDateTimeField()
    category = CategorySerializer()
    subcategory = CategorySerializer(required=False, allow_null=True)
    fast_track = serializers.BooleanField()
    text = MessageTextField()
    address = CleanTextField(max_length=500, required=False, allow_blank=True)
    coordinates = CoordinatesSerializer(required=False, allow_null=True)
    applicant = ApplicantSerializer()
    attachments = AttachmentSerializer(many=True, required=False)


class PosAdapter(Adapter):
    channel = Channel.POS.value
    serializer_class = PosSerializer
    takes_answers = True

    def to_message(self, data: dict[str, Any]) -> ParsedMessage:
        coordinates = data.get("coordinates") or {}
        subcategory = data.get("subcategory") or {}
        applicant = data["applicant"]
        return ParsedMessage(
            message=IncomingMessage(
                channel=self.channel,
                external_id=data["id"].strip(),
                text=data["text"],
                received_at=data["created_at"],
                fast_track=data["fast_track"],
                citizen_name=applicant["name"],
                citizen_email=applicant.get("email", ""),
                citizen_phone=applicant.get("phone", ""),
                address=data.get("address", ""),
                latitude=coordinates.get("lat"),
                longitude=coordinates.get("lon"),
                # A photo attached to the message is the "фото-подтверждение" of KPI 6.
                has_geo_confirmation=bool(data.get("attachments")) or bool(coordinates),
            ),
            category_code=subcategory.get("code") or data["category"]["code"],
        )
