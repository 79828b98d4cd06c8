"""The incident list of a municipality: filters, sorting, keyset pages, Excel, bulk actions.

Plain GET forms and POSTs work on their own; with htmx the filter form, the page links and the
bulk form swap only the list (``incidents/list/_list.html``) instead of reloading the page.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase, QueryDict
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.cache import patch_vary_headers
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_POST

from incidents.listing.export import incidents_workbook_write, personal_data_views_record
from incidents.listing.filters import IncidentFilter
from incidents.listing.forms import BulkForm, ListChoices, list_choices
from incidents.listing.selectors import (
    SORTS,
    Cursor,
    DeadlineHint,
    Page,
    deadline_hint,
    incident_list_base,
    keyset_page,
    ordered_for_export,
)
from incidents.listing.services import (
    BulkOutcome,
    incidents_bulk_assign,
    incidents_bulk_reject,
)
from incidents.models import OPEN_STATUSES, Incident, Status
from mcu.models import Municipality
from reports.xlsx import XLSX_CONTENT_TYPE
from roles.access import capability_required, request_actor, signed_in_user
from roles.models import Channel, Sector, User
from roles.permissions import ActorCapabilities, Capability

C = Capability
# What the list's links carry: its filters and its order — never the cursor of another page.
LIST_PARAMS = frozenset(IncidentFilter.base_filters)


@dataclass(frozen=True)
class ListRow:
    """One row, its texts made in Python: the template only prints them (Django's ``date``
    filter and per-row tags cost ~0.5 ms a row, which is most of a 50-row page)."""

    incident: Incident
    hint: DeadlineHint | None
    selectable: bool  # the user may assign or reject this one (per its sector / channel)
    card_url: str | None
    channel_short: str
    channel_name: str
    status_label: str
    topic_label: str
    received_local: str
    received_iso: str
    due_local: str
    due_iso: str
    excerpt: str


EXCERPT_SHOWN = 140
LOCAL_FORMAT = "%d.%m.%Y %H:%M"


def _local(moment: datetime | None, tz: tzinfo) -> tuple[str, str]:
    if moment is None:
        return "", ""
    local = moment.astimezone(tz)
    return local.strftime(LOCAL_FORMAT), local.isoformat()


def _row(
    incident: Incident,
    *,
    actor: ActorCapabilities,
    now: datetime,
    tz: tzinfo,
    card: str | None,
    channels: dict[str, str],
    statuses: dict[str, str],
) -> ListRow:
    received_local, received_iso = _local(incident.received_at, tz)
    due_local, due_iso = _local(incident.due_at, tz)
    excerpt: str = getattr(incident, "excerpt", "") or ""
    if len(excerpt) > EXCERPT_SHOWN:
        excerpt = excerpt[: EXCERPT_SHOWN - 1].rstrip() + "…"
    return ListRow(
        incident=incident,
        hint=deadline_hint(status=incident.status, due_at=incident.due_at, now=now),
        selectable=_may_act(actor, incident),
        card_url=card.replace(str(_PK_MARK), str(incident.pk)) if card else None,
        channel_short=str(CHANNEL_SHORT.get(incident.channel, incident.channel)),
        channel_name=channels.get(incident.channel, incident.channel),
        status_label=statuses.get(incident.status, incident.status),
        topic_label=str(incident.topic) if incident.topic_id else "",
        received_local=received_local,
        received_iso=received_iso,
        due_local=due_local,
        due_iso=due_iso,
        excerpt=excerpt,
    )


# The list's narrow column; the full name is the cell's title.
CHANNEL_SHORT: dict[str, str | Promise] = {
    Channel.IM.value: _lazy("ИМ"),
    Channel.POS.value: _lazy("ПОС"),
    Channel.EDDS.value: _lazy("ЕДДС"),
    Channel.APPEAL.value: _lazy("59-ФЗ"),
    Channel.GOSPUBLIC.value: _lazy("Госпаблики"),
    Channel.EMAIL.value: _lazy("E-mail"),
}


_PK_MARK = 918273645  # stands for the id in a card URL reversed once per page


def _card_url_pattern(municipality: Municipality) -> str | None:
    """The card's URL with a mark for the id: ``reverse`` costs ~0.5 ms, fifty rows a page.
    None while the card page does not exist (it is another part of issue 5)."""
    try:
        return reverse(
            "incident_detail", kwargs={"municipality_slug": municipality.slug, "pk": _PK_MARK}
        )
    except NoReverseMatch:
        return None


def _list_query(data: QueryDict) -> str:
    """The filters and the order of ``data`` as a query string; everything else dropped."""
    kept = QueryDict(mutable=True)
    for key in data:
        if key in LIST_PARAMS:
            values = [value for value in data.getlist(key) if value != ""]
            if values:
                kept.setlist(key, values)
    return kept.urlencode()


def _with_query(url: str, query: str, **extra: str) -> str:
    params = QueryDict(query, mutable=True)
    for key, value in extra.items():
        params[key] = value
    encoded = params.urlencode()
    return f"{url}?{encoded}" if encoded else url


def _may_act(actor: ActorCapabilities, incident: Incident) -> bool:
    if incident.status not in OPEN_STATUSES:
        return False
    return any(
        actor.can_on(capability, sector_id=incident.sector_id, channel=incident.channel)
        for capability in (C.INCIDENT_TRIAGE, C.INCIDENT_REJECT)
    )


def _bulk_form(
    actor: ActorCapabilities, query: str, choices: ListChoices, data: Any = None
) -> BulkForm | None:
    may_assign, may_reject = actor.can(C.INCIDENT_TRIAGE), actor.can(C.INCIDENT_REJECT)
    if not (may_assign or may_reject):
        return None
    form = BulkForm(data, choices=choices, initial={"query": query})
    action = form.fields["action"]
    assert isinstance(action, forms.ChoiceField)
    action.choices = [
        (value, label)
        for value, label in BulkForm.ACTIONS
        if (value == BulkForm.ASSIGN and may_assign) or (value == BulkForm.REJECT and may_reject)
    ]
    return form


def _list_context(request: HttpRequest, data: QueryDict) -> dict[str, Any]:
    municipality: Municipality = request.municipality  # type: ignore[attr-defined]
    actor = request_actor(request)
    choices = list_choices(municipality=municipality)
    filterset = IncidentFilter(
        data or None,
        queryset=incident_list_base(municipality=municipality),
        request=request,
        choices=choices,
    )
    query = _list_query(data)
    list_url = reverse("incident_list", kwargs={"municipality_slug": municipality.slug})
    sort = SORTS[filterset.sort_key]
    page: Page | None = None
    rows: list[ListRow] = []
    if not filterset.is_bound or filterset.is_valid():
        cursor = Cursor.decode(data.get("cursor"), sort=sort)
        page = keyset_page(filterset.qs, sort=sort, cursor=cursor)
        card = _card_url_pattern(municipality)
        channels = {value: str(label) for value, label in Channel.choices}
        statuses = {value: str(label) for value, label in Status.choices}
        rows = [
            _row(
                incident,
                actor=actor,
                now=filterset.now,
                tz=municipality.tz,
                card=card,
                channels=channels,
                statuses=statuses,
            )
            for incident in page.rows
        ]
    export_url = reverse("incident_export", kwargs={"municipality_slug": municipality.slug})
    return {
        "filter": filterset,
        "page": page,
        "rows": rows,
        "query": query,
        "list_url": list_url,
        "first_url": _with_query(list_url, query),
        "next_url": page
        and page.next_cursor
        and _with_query(list_url, query, cursor=page.next_cursor.encode()),
        "previous_url": page
        and page.previous_cursor
        and _with_query(list_url, query, cursor=page.previous_cursor.encode()),
        "export_url": _with_query(export_url, query) if actor.can(C.INCIDENT_EXPORT) else None,
        "bulk_form": _bulk_form(actor, query, choices),
        "filtered": any(key != "sort" for key in QueryDict(query)),
        "mark_label": _("Отметить №"),
    }


def _render_list(request: HttpRequest, data: QueryDict) -> HttpResponse:
    context = _list_context(request, data)
    if request.htmx and not request.htmx.boosted:  # type: ignore[attr-defined]
        context["is_htmx"] = True
        response = render(request, "incidents/list/_list.html", context)
    else:
        response = render(request, "incidents/list.html", context)
    # The same URL answers a whole page or the list alone: caches must keep them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_GET
@capability_required(C.INCIDENT_VIEW)
def incident_list(request: HttpRequest, municipality_slug: str) -> HttpResponse:
    return _render_list(request, request.GET)


@require_GET
def incident_export(request: HttpRequest, municipality_slug: str) -> HttpResponseBase:
    """The filtered list as .xlsx, all of it; a filter with errors goes back to the page."""
    municipality: Municipality = request.municipality  # type: ignore[attr-defined]
    actor = request_actor(request)
    # Checked here, not by @capability_required: that decorator types views as returning an
    # HttpResponse, and a streamed file is not one.
    if not actor.can(C.INCIDENT_EXPORT):
        raise PermissionDenied(C.INCIDENT_EXPORT.value)
    filterset = IncidentFilter(
        request.GET or None,
        queryset=incident_list_base(municipality=municipality),
        request=request,
        choices=list_choices(municipality=municipality),
    )
    if filterset.is_bound and not filterset.is_valid():
        messages.error(request, _("Исправьте фильтр: выгрузка берёт ровно отфильтрованный список."))
        return redirect(
            _with_query(
                reverse("incident_list", kwargs={"municipality_slug": municipality.slug}),
                _list_query(request.GET),
            )
        )
    # The list's base query defers the text; the workbook wants it whole, so start afresh.
    everything = Incident.objects.filter(municipality=municipality)
    rows = ordered_for_export(
        filterset.filter_queryset(everything) if filterset.is_bound else everything,
        sort=SORTS[filterset.sort_key],
    )
    local_now = municipality.local_time()
    caption = _("%(name)s: инциденты, выгружено %(at)s (%(tz)s)") % {
        "name": municipality.short_name,
        "at": local_now.strftime("%d.%m.%Y %H:%M"),
        "tz": municipality.timezone,
    }
    # Not a `with`: FileResponse closes the file when the download ends.
    out = tempfile.TemporaryFile()  # noqa: SIM115
    try:
        result = incidents_workbook_write(
            queryset=rows,
            municipality=municipality,
            capabilities=actor,
            caption=caption,
            out=out,
        )
        if result.personal_data_ids:
            personal_data_views_record(
                municipality=municipality,
                incident_ids=result.personal_data_ids,
                actor=signed_in_user(request),
            )
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return FileResponse(
        out,
        as_attachment=True,
        filename=f"incidents-{municipality.slug}-{local_now:%Y-%m-%d-%H%M}.xlsx",
        content_type=XLSX_CONTENT_TYPE,
    )


def _report(request: HttpRequest, action: str, outcome: BulkOutcome) -> None:
    done = len(outcome.succeeded)
    summary = (
        _("Назначено: %(done)s из %(total)s.")
        if action == BulkForm.ASSIGN
        else _("Отклонено: %(done)s из %(total)s.")
    ) % {"done": done, "total": outcome.total}
    if outcome.failed:
        messages.warning(request, summary)
        for pk, why in sorted(outcome.failed):
            messages.error(request, _("№ %(pk)s: %(why)s") % {"pk": pk, "why": why})
    else:
        messages.success(request, summary)


@require_POST
@capability_required(C.INCIDENT_VIEW)
def incident_bulk(request: HttpRequest, municipality_slug: str) -> HttpResponse:
    """Assign or reject the ticked incidents; then back to the same filtered list."""
    municipality: Municipality = request.municipality  # type: ignore[attr-defined]
    actor = request_actor(request)
    query = _list_query(QueryDict(request.POST.get("query", "")[:2000]))
    form = _bulk_form(actor, query, list_choices(municipality=municipality), data=request.POST)
    action = request.POST.get("action")
    if (
        form is None
        or (action == BulkForm.ASSIGN and not actor.can(C.INCIDENT_TRIAGE))
        or (action == BulkForm.REJECT and not actor.can(C.INCIDENT_REJECT))
    ):
        raise PermissionDenied("bulk")
    if form.is_valid():
        data = form.cleaned_data
        user = signed_in_user(request)
        if data["action"] == BulkForm.ASSIGN:
            # Ids the form accepted only from this municipality's own blocks and people.
            sector = (
                Sector.objects.get(municipality=municipality, pk=data["sector"])
                if data["sector"]
                else None
            )
            responsible = User.objects.get(pk=data["responsible"]) if data["responsible"] else None
            outcome = incidents_bulk_assign(
                municipality=municipality,
                tokens=data["incidents"],
                actor=user,
                sector=sector,
                responsible=responsible,
                note=data["note"],
            )
        else:
            outcome = incidents_bulk_reject(
                municipality=municipality,
                tokens=data["incidents"],
                actor=user,
                reason=data["reason"],
                note=data["note"],
            )
        _report(request, data["action"], outcome)
    else:
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                messages.error(request, f"{label}: {error}" if label else str(error))
    if request.htmx:  # type: ignore[attr-defined]
        return _render_list(request, QueryDict(query))
    return redirect(
        _with_query(
            reverse("incident_list", kwargs={"municipality_slug": municipality.slug}), query
        )
    )
