"""Webhook signatures: HMAC-SHA256 over ``timestamp + "." + raw body``, per-channel secret.

Headers ``X-MCU-Timestamp`` (unix seconds) and ``X-MCU-Signature: sha256=<hex>``; a timestamp more
than five minutes off is refused, and so is a request whose signature was already accepted.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from datetime import datetime, timedelta

REPLAY_WINDOW = timedelta(minutes=5)
TIMESTAMP_HEADER = "HTTP_X_MCU_TIMESTAMP"
SIGNATURE_HEADER = "HTTP_X_MCU_SIGNATURE"


class SignatureInvalid(Exception):
    """Why the request is not trusted (Russian, for the 401 body)."""


def sign(*, secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(
    *,
    secrets: Iterable[str],
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    now: datetime,
) -> str:
    """Return the signature's hex digest when valid; raise ``SignatureInvalid`` otherwise."""
    if not timestamp or not signature:
        raise SignatureInvalid("Нет заголовков X-MCU-Timestamp и X-MCU-Signature.")
    try:
        sent = int(timestamp.strip())
    except ValueError:
        raise SignatureInvalid("X-MCU-Timestamp — не число секунд.") from None
    if not -(2**62) < sent < 2**62 or abs(now.timestamp() - sent) > REPLAY_WINDOW.total_seconds():
        raise SignatureInvalid("Время запроса расходится с временем сервера более чем на 5 минут.")
    scheme, _, digest = signature.strip().partition("=")
    if scheme != "sha256" or not digest:
        raise SignatureInvalid("Подпись должна иметь вид sha256=<hex>.")
    for secret in secrets:
        expected = sign(secret=secret, timestamp=timestamp.strip(), body=body)
        if hmac.compare_digest(expected, f"sha256={digest.lower()}"):
            return digest.lower()
    raise SignatureInvalid("Подпись не совпадает.")
