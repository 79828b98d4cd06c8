"""A shorter route through a channel's serializer for the payloads that pass it.

DRF validates a payload through layers of generic machinery (``run_validation`` →
``validate_empty_values`` → ``get_value`` → ``_writable_fields`` → ``run_validators`` with its
error collection, for every field and every nested serializer): ~73 µs per ПОС message, the
largest single cost of an import's inbox step (bench/import.py). ``compile_validator`` walks a
bound serializer once and returns a function that validates a payload with the same fields,
each field's own ``to_internal_value``, the same validators and the serializer's own
``validate()``, without that orchestration.

It is only a shortcut for the valid case. Whenever it meets anything it is not certain DRF
would accept and return exactly so — a value of another type, a blank, a missing or null field,
any error at all — it answers ``FALLBACK`` and the caller runs the serializer itself, which
then reports the field-level errors. So it can never accept what DRF refuses, nor return
something else (``test_fast_validation`` compares the two on generated payloads). A serializer
using a feature it does not know (a default, a ``source``, a ``validate_<field>`` method,
serializer-level validators, a field with its own ``run_validation``) gets no shortcut at all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from django.core.validators import (
    MaxLengthValidator,
    MinLengthValidator,
    ProhibitNullCharactersValidator,
)
from rest_framework import fields, serializers
from rest_framework.validators import ProhibitSurrogateCharactersValidator

FALLBACK: Final = object()
_MISSING: Final = object()
Check = Callable[[Any], Any]


class _Fallback(Exception):
    """Not certain: let the serializer decide."""


class _Unsupported(Exception):
    """The serializer uses something this module does not reproduce."""


def compile_validator(serializer: serializers.Serializer[Any]) -> Callable[[Any], Any] | None:
    """The shortcut for ``serializer.run_validation``, or None when there is none."""
    try:
        check = _serializer_check(serializer)
    except _Unsupported:
        return None

    def validate(data: Any) -> Any:
        try:
            return check(data)
        except Exception:  # any doubt at all: the serializer decides and says why
            return FALLBACK

    return validate


def _serializer_check(serializer: serializers.Serializer[Any]) -> Check:
    if type(serializer).run_validation is not serializers.Serializer.run_validation:
        raise _Unsupported
    if type(serializer).to_internal_value is not serializers.Serializer.to_internal_value:
        raise _Unsupported
    if serializer.validators:
        raise _Unsupported
    steps: list[tuple[str, bool, bool, Check]] = []
    for name, field in serializer.fields.items():
        if field.read_only or field.default is not fields.empty:
            raise _Unsupported  # DRF would add a default the payload does not carry
        if field.source_attrs != [name] or getattr(serializer, f"validate_{name}", None):
            raise _Unsupported
        steps.append((name, field.required, field.allow_null, _field_check(field)))
    custom = type(serializer).validate is not serializers.Serializer.validate
    own_validate = serializer.validate

    def check(data: Any) -> dict[str, Any]:
        if type(data) is not dict:
            raise _Fallback
        out: dict[str, Any] = {}
        for name, required, allow_null, field_check in steps:
            value = data.get(name, _MISSING)
            if value is _MISSING:
                if required:
                    raise _Fallback
                continue  # DRF skips a missing optional field without a default
            if value is None:
                if not allow_null:
                    raise _Fallback
                out[name] = None
                continue
            out[name] = field_check(value)
        if custom:
            out = own_validate(out)
            if out is None:
                raise _Fallback
        return out

    return check


def _field_check(field: fields.Field[Any, Any, Any, Any]) -> Check:
    if isinstance(field, serializers.ListSerializer):
        return _list_check(field)
    if isinstance(field, serializers.Serializer):
        return _serializer_check(field)
    validators = [_validator_check(v) for v in field.validators]
    to_internal = field.to_internal_value
    if isinstance(field, fields.CharField):
        if type(field).run_validation is not fields.CharField.run_validation:
            raise _Unsupported
        return _char_check(field, to_internal, validators)
    if type(field).run_validation is not fields.Field.run_validation:
        raise _Unsupported
    if type(field).validate_empty_values not in (
        fields.Field.validate_empty_values,
        fields.DecimalField.validate_empty_values,
    ):
        raise _Unsupported

    def check(value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            raise _Fallback  # DecimalField reads a blank as null; the serializer knows
        internal = to_internal(value)
        for validate in validators:
            validate(internal)
        return internal

    return check


def _char_check(field: fields.CharField, to_internal: Check, validators: list[Check]) -> Check:
    trim, allow_blank = field.trim_whitespace, field.allow_blank

    def check(value: Any) -> Any:
        kind = type(value)
        if kind is str:
            if value == "" or (trim and not value.strip()):
                if not allow_blank:
                    raise _Fallback
                return ""
        elif kind is not int and kind is not float:
            raise _Fallback  # a number is never blank; the field itself takes it or refuses it
        internal = to_internal(value)
        for validate in validators:
            validate(internal)
        return internal

    return check


def _list_check(field: serializers.ListSerializer[Any]) -> Check:
    if (
        not field.allow_empty
        or getattr(field, "max_length", None) is not None
        or getattr(field, "min_length", None) is not None
        or field.validators
        or type(field).validate is not serializers.ListSerializer.validate
        or type(field).run_validation is not serializers.ListSerializer.run_validation
        or type(field).to_internal_value is not serializers.ListSerializer.to_internal_value
        or not isinstance(field.child, serializers.Serializer)
    ):
        raise _Unsupported
    child = _serializer_check(field.child)

    def check(value: Any) -> list[Any]:
        if type(value) is not list:
            raise _Fallback
        return [child(item) for item in value]

    return check


def _validator_check(validator: Any) -> Check:
    """The same test as the validator, without Django's message parameters built per call."""
    if getattr(validator, "requires_context", False):
        raise _Unsupported
    kind = type(validator)
    if kind is MaxLengthValidator and not callable(validator.limit_value):
        limit = validator.limit_value
        return lambda value: None if len(value) <= limit else _fail()
    if kind is MinLengthValidator and not callable(validator.limit_value):
        least = validator.limit_value
        return lambda value: None if len(value) >= least else _fail()
    if kind is ProhibitNullCharactersValidator:
        return lambda value: None if "\x00" not in str(value) else _fail()
    if isinstance(validator, ProhibitSurrogateCharactersValidator):
        return lambda value: str(value).encode("utf-8") and None  # a lone surrogate raises
    return validator  # run as it is (e-mail, URL, ranges…)


def _fail() -> None:
    raise _Fallback
