"""The validation shortcut (``integrations/channels/fast_validation.py``) against DRF itself.

Its one promise: for any payload it either steps aside (``FALLBACK``) or returns exactly what the
channel's serializer returns — it never accepts what the serializer refuses. Checked on every
recorded sample payload and on payloads generated from them with a field replaced, removed or
nested wrongly. And it must actually take the valid ones, or it is dead weight.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework import serializers

from integrations.channels import ADAPTERS
from integrations.channels.fast_validation import FALLBACK, compile_validator

FIXTURES = Path(__file__).resolve().parent / "fixtures"
CHANNELS = sorted(ADAPTERS)


def samples(channel: str) -> list[tuple[str, Any]]:
    return [
        (path.stem, json.loads(path.read_text(encoding="utf-8")))
        for path in sorted((FIXTURES / channel).glob("*.json"))
    ]


def serializer_of(channel: str) -> serializers.Serializer[Any]:
    return ADAPTERS[channel].serializer_class()


def by_drf(serializer: serializers.Serializer[Any], payload: Any) -> Any:
    try:
        return serializer.run_validation(payload)
    except serializers.ValidationError:
        return "refused"


def assert_agrees(serializer: serializers.Serializer[Any], payload: Any) -> Any:
    shortcut = compile_validator(serializer)
    assert shortcut is not None
    fast = shortcut(copy.deepcopy(payload))
    expected = by_drf(serializer, copy.deepcopy(payload))
    if fast is not FALLBACK:
        assert expected != "refused", f"the shortcut accepted what DRF refuses: {payload!r}"
        # repr: the same keys in the same order, the same types, the same time zones.
        assert repr(fast) == repr(expected)
    return fast


@pytest.mark.parametrize("channel", CHANNELS)
def test_every_sample_payload_gets_the_serializers_own_answer(channel):
    serializer = serializer_of(channel)
    for name, payload in samples(channel):
        fast = assert_agrees(serializer, payload)
        if name.startswith("valid_"):
            assert fast is not FALLBACK, f"{channel}/{name}: a valid payload missed the shortcut"
        else:
            assert fast is FALLBACK, f"{channel}/{name}"


# Values a sender might put anywhere: the wrong type, blanks, NUL, a lone surrogate, strings at
# and over the length limits, times without an offset, not-quite e-mails and URLs.
ODD: list[Any] = [
    "",
    "   ",
    "\x00",
    "a\x00b",
    "\ud800",
    "x" * 40,
    "x" * 41,
    "x" * 200,
    "x" * 201,
    "x" * 300,
    "x" * 301,
    "x" * 500,
    "x" * 501,
    " padded ",
    "2026-11-22T10:15:00",
    "2026-11-22T10:15:00+05:00",
    "2026-02-31T10:15:00+05:00",
    "ivanov@example.ru",
    "не почта@",
    "https://vk.com/wall-1_2",
    "javascript:alert(1)",
    "12.5",
    "1e3",
    "true",
    "нет",
    0,
    1,
    -91,
    12.3456789,
    2**70,
    True,
    False,
    None,
    [],
    [{}],
    {},
    {"code": "x"},
    {"lat": 1, "lon": 2},
]
ODD_VALUES = st.one_of(
    st.sampled_from(ODD),
    st.text(max_size=30),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            out += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out += paths(item, (*prefix, index))
    return out


def mutate(payload: Any, path: tuple[Any, ...], value: Any, remove: bool) -> Any:
    payload = copy.deepcopy(payload)
    target = payload
    for step in path[:-1]:
        target = target[step]
    if remove and isinstance(target, dict):
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return payload


@pytest.mark.parametrize("channel", CHANNELS)
def test_every_single_change_of_a_valid_payload_gets_the_serializers_own_answer(channel):
    # Exhaustive over one change: each field of each valid sample removed, or set to each value
    # of the pool above. The generated test below combines several changes at random.
    serializer = serializer_of(channel)
    taken = refused = 0
    for _, payload in samples(channel):
        for path in paths(payload):
            for value in [*ODD, _REMOVE]:
                changed = mutate(payload, path, value, remove=value is _REMOVE)
                if assert_agrees(serializer, changed) is FALLBACK:
                    refused += 1
                else:
                    taken += 1
    # Both outcomes occur: the comparison was not vacuous.
    assert taken
    assert refused


_REMOVE = object()


@st.composite
def altered(draw: st.DrawFn) -> tuple[str, Any]:
    channel = draw(st.sampled_from(CHANNELS))
    valid = [payload for name, payload in samples(channel) if name.startswith("valid_")]
    payload = draw(st.sampled_from(valid))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        where = paths(payload)
        if not where:
            break
        path = draw(st.sampled_from(where))
        payload = mutate(payload, path, draw(ODD_VALUES), remove=draw(st.booleans()))
    return channel, payload


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(altered())
def test_a_generated_payload_is_never_accepted_otherwise_than_by_drf(case):
    channel, payload = case
    assert_agrees(serializer_of(channel), payload)


def test_a_serializer_with_a_feature_it_does_not_know_gets_no_shortcut():
    class WithDefault(serializers.Serializer[Any]):
        name = serializers.CharField(default="аноним")

    class WithFieldMethod(serializers.Serializer[Any]):
        name = serializers.CharField()

        def validate_name(self, value: str) -> str:
            return value.upper()

    class WithSource(serializers.Serializer[Any]):
        name = serializers.CharField(source="title")

    for kind in (WithDefault, WithFieldMethod, WithSource):
        assert compile_validator(kind()) is None, kind.__name__
