"""The signed webhook: ``POST /integrations/<channel>/<municipality-slug>/``.

202 with a result per message (accepted / duplicate / invalid with field errors); 400 for a body
that is not usable at all (kept for inspection); 401 for a bad, missing, stale or replayed
signature; 404 for an unknown channel or municipality; 413 over the size limit. Nothing a
sender sends can cause a 500.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.db.models import Count, F
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST

from incidents.exceptions import IncidentError
from integrations.channels import adapter_for
from integrations.models import ImportBatch, InboundMessage, SeenSignature
from integrations.services.imports import (
    import_channels_for,
    import_file,
    import_file_enqueue,
    import_rows_invalid,
)
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
from roles.access import request_actor, signed_in_user
from roles.models import Channel
from roles.permissions import Capability

IMPORTS_PAGE_SIZE = 50
IMPORT_ERRORS_PAGE_SIZE = 200
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


# --- File imports: /m/<slug>/imports/ ---------------------------------------------------------
# Pages of one municipality: the scope middleware has already answered non-members 404.


class ImportForm(forms.Form):
    channel = forms.ChoiceField(label=gettext_lazy("Канал"))
    file = forms.FileField(
        label=gettext_lazy("Файл выгрузки"),
        help_text=gettext_lazy("XLSX или CSV, как его выгружает ПОС или «Инцидент Менеджмент»."),
    )

    def __init__(self, *args: Any, channels: list[str], max_bytes: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_bytes = max_bytes
        channel_field = self.fields["channel"]
        assert isinstance(channel_field, forms.ChoiceField)
        channel_field.choices = [(c, Channel(c).label) for c in channels]
        self.fields["file"].widget.attrs["accept"] = ".xlsx,.csv,.txt"

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        if (upload.size or 0) > self.max_bytes:
            raise forms.ValidationError(_too_big(self.max_bytes))
        return upload


def _too_big(max_bytes: int) -> str:
    return _("Файл больше {size} МБ. Разделите выгрузку на части по периодам.").format(
        size=max_bytes // (1024 * 1024)
    )


def _import_max_bytes() -> int:
    return int(settings.MCU_IMPORT_MAX_BYTES)


def _import_inline_bytes() -> int:
    """Files up to this size (~10 000 rows of XLSX) are imported within the request."""
    return int(getattr(settings, "MCU_IMPORT_INLINE_BYTES", 1024 * 1024))


def _require_import_access(request: HttpRequest) -> list[str]:
    """The channels this user may import. The page itself is for whoever registers messages
    or manages the inbox; the others get 403."""
    actor = request_actor(request)
    if not (actor.can(Capability.INCIDENT_REGISTER) or actor.can(Capability.INBOX_MANAGE)):
        raise PermissionDenied(Capability.INCIDENT_REGISTER.value)
    return import_channels_for(actor)


@require_http_methods(["GET", "POST"])
@csrf_exempt  # checked by _imports_upload, after the size guard (Django: upload handlers)
def imports(request: HttpRequest, municipality_slug: str) -> HttpResponse:
    """Upload an export; the municipality's imports, newest first."""
    channels = _require_import_access(request)
    max_bytes = _import_max_bytes()
    form = ImportForm(channels=channels, max_bytes=max_bytes)
    if request.method == "POST":
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        # Far over the limit: refuse before the body is read (and spooled to disk). Just over
        # it, the upload is read and the form says so next to the field.
        if declared > 2 * max_bytes:
            return _imports_page(request, form, status=413, file_error=_too_big(max_bytes))
        return _imports_upload(request, channels, max_bytes)
    return _imports_page(request, form)


@csrf_protect
def _imports_upload(request: HttpRequest, channels: list[str], max_bytes: int) -> HttpResponse:
    municipality = request.municipality  # type: ignore[attr-defined]
    form = ImportForm(request.POST, request.FILES, channels=channels, max_bytes=max_bytes)
    if not form.is_valid():
        return _imports_page(request, form, status=400)
    upload: UploadedFile = form.cleaned_data["file"]
    # A small file is imported in the request (its report at once); a large one by the worker,
    # or it would outlive gunicorn's 30 s timeout (bench/import.py: 100 000 rows).
    background = (upload.size or 0) > _import_inline_bytes()
    try:
        batch = (import_file_enqueue if background else import_file)(
            municipality=municipality,
            channel=form.cleaned_data["channel"],
            file_name=upload.name or "import",
            data=upload.read(),
            actor=signed_in_user(request),
        )
    except IncidentError as error:
        form.add_error("channel", error.message)
        return _imports_page(request, form, status=400)
    if background:
        messages.info(
            request,
            _(
                "Файл принят и загружается в фоне; на этой странице видно, "
                "сколько строк уже загружено."
            ),
        )
    elif batch.state == ImportBatch.State.FAILED:
        messages.error(request, _("Файл не загружен: {error}").format(error=batch.error))
    else:
        messages.success(
            request,
            _(
                "Загружено новых сообщений: {imported}, повторов: {duplicates}, строк с ошибками: "
                "{invalid}."
            ).format(
                imported=batch.imported,
                duplicates=batch.duplicates,
                invalid=import_rows_invalid(batch),
            ),
        )
    return redirect("import_detail", municipality_slug=municipality.slug, batch_id=batch.pk)


def _imports_page(
    request: HttpRequest, form: ImportForm, *, status: int = 200, file_error: str = ""
) -> HttpResponse:
    municipality = request.municipality  # type: ignore[attr-defined]
    batches = list(
        ImportBatch.objects.filter(municipality=municipality)
        .select_related("created_by")
        .defer("errors")  # may be long; the list shows the count of bad rows
        .annotate(invalid=F("total_rows") - F("imported") - F("duplicates"))
        .order_by("-created_at", "-pk")[:IMPORTS_PAGE_SIZE]
    )
    return render(
        request,
        "integrations/imports.html",
        {
            "form": form,
            "file_error": file_error,
            "batches": batches,
            "max_mb": _import_max_bytes() // (1024 * 1024),
        },
        status=status,
    )


@require_http_methods(["GET"])
def import_detail(request: HttpRequest, municipality_slug: str, batch_id: int) -> HttpResponse:
    """One import: its counts, what became of its messages, and every bad row."""
    _require_import_access(request)
    municipality = request.municipality  # type: ignore[attr-defined]
    # Same 404 for a missing batch and another municipality's.
    batch = get_object_or_404(
        ImportBatch.objects.filter(municipality=municipality).select_related("created_by"),
        pk=batch_id,
    )
    processing = dict(
        InboundMessage.objects.filter(municipality=municipality, import_batch=batch)
        .exclude(external_id="")
        .values_list("state")
        .annotate(count=Count("pk"))
        .order_by()
    )
    earlier = (
        ImportBatch.objects.filter(
            municipality=municipality, sha256=batch.sha256, created_at__lt=batch.created_at
        )
        .order_by("created_at")
        .first()
    )
    page = Paginator(batch.errors, IMPORT_ERRORS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "integrations/import_detail.html",
        {
            "batch": batch,
            "invalid": import_rows_invalid(batch),
            "processing": {
                "processed": processing.get(InboundMessage.State.PROCESSED, 0),
                "duplicate": processing.get(InboundMessage.State.DUPLICATE, 0),
                "failed": processing.get(InboundMessage.State.FAILED, 0),
                "pending": processing.get(InboundMessage.State.PENDING, 0),
            },
            "earlier": earlier,
            "errors_page": page,
            "in_progress": batch.state in (ImportBatch.State.PENDING, ImportBatch.State.RUNNING),
        },
    )
