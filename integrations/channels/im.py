"""«Инцидент Менеджмент» (ИМ): posts and comments found in social networks; 3 hours to answer.

Contract (one object; the webhook also takes an array of up to 500)::

    {"id", "network": "vk"|"ok"|"telegram"|…, "url", "author": {"name", "profile_url"},
     "text", "published_at", "address"?, "topic"?}

``topic`` is a code of our рубрикатор ("roads" or "roads.potholes") when ИМ's operator set one.
"""

from __future__ import annotations

import re
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

# A рубрикатор code: a topic or "topic.subtopic" (Topic.code, at most 64 characters).
TOPIC_CODE = re.compile(r"[a-z0-9_]{1,30}(\.[a-z0-9_]{1,30})?")


class AuthorSerializer(serializers.Serializer[Any]):
    name = CleanTextField(max_length=300)
    profile_url = serializers.URLField(max_length=1000)


class ImSerializer(serializers.Serializer[Any]):
    id = serializers.CharField(max_length=200)
    network = serializers.CharField(max_length=50)
    url = serializers.URLField(max_length=1000)
    author = AuthorSerializer()
    text = MessageTextField()
    published_at = AwareDateTimeField()
    address = CleanTextField(max_length=500, required=False, allow_blank=True)
    topic = serializers.CharField(max_length=100, required=False, allow_blank=True)


class ImAdapter(Adapter):
    channel = Channel.IM.value
    serializer_class = ImSerializer
    takes_answers = True

    def to_message(self, data: dict[str, Any]) -> ParsedMessage:
        author = data["author"]
        topic = data.get("topic", "").strip()
        # A well-formed code goes to the рубрикатор (intake looks it up; an unknown one leaves
        # the topic empty); any code, known or not, stays the category for routing rules.
        topic_code = topic.lower() if TOPIC_CODE.fullmatch(topic.lower()) else None
        return ParsedMessage(
            message=IncomingMessage(
                channel=self.channel,
                external_id=data["id"].strip(),
                text=data["text"],
                received_at=data["published_at"],
                topic_code=topic_code,
                citizen_name=author["name"],
                citizen_profile_url=author["profile_url"],
                address=data.get("address", ""),
                source_url=data["url"],
                extra={"network": data["network"].strip().lower()},
            ),
            category_code=topic,
        )
