"""The signed webhook: ``POST /integrations/<channel>/<municipality-slug>/``.

202 with a result per message (accepted / duplicate / invalid with field errors); 400 for a body
that is not usable at all (kept for inspection); 401 for a bad, missing, stale or replayed
signature; 404 for an unknown channel or municipality; 413 over the size limit. Nothing a
sender sends can cause a 500.
"""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from integrations.channels import adapter_for
from integrations.models import SeenSignature
from integrations.services.inbox import BodyInvalid, decode_body, inbox_accept, inbox_store_rejected
from integrations.services.secrets import channel_secrets_active
from integrations.signatures import (
    REPLAY_WINDOW,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    SignatureInvalid,
    verify,
)
from mcu.models import Municipality
from mcu.tenancy import municipality_scope

KEPT_HEADERS = ("CONTENT_TYPE", "HTTP_USER_AGENT", TIMESTAMP_HEADER, "HTTP_X_REQUEST_ID")


def _error(status: int, detail: str, errors: dict[str, list[str]] | None = None) -> JsonResponse:
    body: dict[str, object] = {"detail": detail}
    if errors:
        body["errors"] = errors
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


@csrf_exempt  # machine-to-machine: authenticated by the HMAC signature, not a session
@require_POST
def webhook(request: HttpRequest, channel: str, municipality: str) -> JsonResponse:
    target = Municipality.objects.filter(slug=municipality).first()
    if target is None or adapter_for(channel) is None:
        return _error(404, "Неизвестный канал или муниципальное образование.")
    return _webhook(request, channel, target)


def _webhook(request: HttpRequest, channel: str, municipality: Municipality) -> JsonResponse:
    limit: int = settings.MCU_WEBHOOK_MAX_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        return _error(413, f"Тело запроса больше {limit} байт.")
    body = request.body
    if len(body) > limit:
        return _error(413, f"Тело запроса больше {limit} байт.")
    now = timezone.now()
    headers = {key: str(request.META[key])[:500] for key in KEPT_HEADERS if key in request.META}
    with municipality_scope(municipality.pk):
        try:
            digest = verify(
                secrets=channel_secrets_active(municipality=municipality, channel=channel),
                timestamp=request.META.get(TIMESTAMP_HEADER),
                signature=request.META.get(SIGNATURE_HEADER),
                body=body,
                now=now,
            )
        except SignatureInvalid as error:
            return _error(401, str(error))
        try:
            with transaction.atomic():
                # Replay guard: the same signed request is accepted once.
                SeenSignature.objects.create(
                    municipality=municipality, signature=digest, seen_at=now
                )
                SeenSignature.objects.filter(
                    municipality=municipality, seen_at__lt=now - 2 * REPLAY_WINDOW
                ).delete()
                try:
                    items = decode_body(body)
                except BodyInvalid as error:
                    inbox_store_rejected(
                        municipality=municipality,
                        channel=channel,
                        body=body,
                        headers=headers,
                        error=error.message,
                        received_at=now,
                    )
                    return _error(400, error.message, {"body": [error.message]})
                results = inbox_accept(
                    municipality=municipality,
                    channel=channel,
                    items=items,
                    headers=headers,
                    received_at=now,
                )
        except IntegrityError:
            return _error(401, "Этот подписанный запрос уже был принят (повтор).")
    return JsonResponse(
        {"results": [result.as_json() for result in results]},
        status=202,
        json_dumps_params={"ensure_ascii": False},
    )
