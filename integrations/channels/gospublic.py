"""Госпаблики: comments under posts on the official pages of authorities; 3 hours, like ИМ.

Contract (one object; the webhook also takes an array of up to 500)::

    {"id", "network", "page_url", "comment_url", "author": {"name"}, "text", "published_at"}
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


class AuthorSerializer(serializers.Serializer[Any]):
    name = CleanTextField(max_length=300)


class GospublicSerializer(serializers.Serializer[Any]):
    id = serializers.CharField(max_length=200)
    network = serializers.CharField(max_length=50)
    page_url = serializers.URLField(max_length=1000)
    comment_url = serializers.URLField(max_length=1000)
    author = AuthorSerializer()
    text = MessageTextField(error_messages={"blank": "Пустой текст комментария."})
    published_at = AwareDateTimeField()


class GospublicAdapter(Adapter):
    channel = Channel.GOSPUBLIC.value
    serializer_class = GospublicSerializer
    takes_answers = True

    def to_message(self, data: dict[str, Any]) -> ParsedMessage:
        return ParsedMessage(
            message=IncomingMessage(
                channel=self.channel,
                external_id=data["id"].strip(),
                text=data["text"],
                received_at=data["published_at"],
                citizen_name=data["author"]["name"],
                # The answer goes under the comment itself; the page is kept for context.
                source_url=data["comment_url"],
                extra={"network": data["network"].strip().lower(), "page_url": data["page_url"]},
            )
        )
