"""An import's rows are stored by the faster JSON writer: the same JSON value as a webhook's
writer gives, whatever the text holds."""

from __future__ import annotations

import json

import pytest

from integrations.services.inbox import _raw, _raw_plain, storable


@pytest.mark.parametrize(
    "text",
    [
        'Яма на дороге 🚧 «у дома» "10"',
        "NUL\x00 BEL\x07 DEL\x7f TAB\t LF\n CR\r",
        "<script>alert('x')</script> & \\ /",
        "\u2028\u2029 line separators",
        "одинокий суррогат \ud800",  # orjson refuses it: json.dumps writes it
    ],
)
def test_plain_writer_stores_the_same_json_value(text):
    item = {
        "id": "POS-1",
        "fast_track": True,
        "subcategory": None,
        "text": text,
        "applicant": {"name": text, "attachments": [text, False]},
    }

    plain = storable(_raw_plain(item))

    assert json.loads(plain) == json.loads(storable(_raw(item))) == item
    assert "\x00" not in plain  # PostgreSQL text cannot hold NUL
