"""«Настройки МЦУ»: the municipality administrator's pages (issue 5 item 7).

Views are thin: a form parses, a service writes (and audits), a selector reads. Every object is
looked up inside ``request.municipality``; a foreign or missing id is the same 404. A list page
carries the form that adds to it, so reading a section and changing it are one address: a viewer
sees the list, a POST needs the section's capability.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from incidents.configuration import selectors, services
from incidents.configuration.access import require_capability, settings_view_required
from incidents.configuration.exceptions import SettingsInvalid
from incidents.configuration.forms import (
    AnswerTemplateForm,
    AppointForm,
    EndForm,
    ReplaceForm,
    RoutingRuleForm,
    RoutingTryForm,
    SettingsForm,
    SlaPolicyForm,
    today_initial,
)
from incidents.models import AnswerTemplate, SlaPolicy, Topic
from integrations.models import ChannelSecret, RoutingRule
from mcu.models import Municipality
from roles.access import capability_required, request_actor, signed_in_user
from roles.models import Channel, RoleAssignment
from roles.permissions import Capability

C = Capability
GET_POST = require_http_methods(["GET", "POST"])


def _municipality(request: HttpRequest) -> Municipality:
    municipality: Municipality = request.municipality  # type: ignore[attr-defined]
    return municipality


def _saved(form: SettingsForm, write: Callable[[], object]) -> bool:
    """Validate the form, run the service; its refusal lands next to the fields it names."""
    if not form.is_valid():
        return False
    try:
        write()
    except SettingsInvalid as error:
        form.add_service_errors(error)
        return False
    return True


def _page(request: HttpRequest, template: str, context: dict[str, Any], form: Any) -> HttpResponse:
    """A form page; 400 when the submitted form has errors (so tests and tools can tell)."""
    status = 400 if form is not None and form.is_bound and form.errors else 200
    return render(request, template, {**context, "form": form}, status=status)


@require_GET
@settings_view_required
def index(request: HttpRequest, municipality_slug: str) -> HttpResponse:
    actor = request_actor(request)
    return render(
        request,
        "configuration/index.html",
        {
            "can_settings": actor.can(C.SETTINGS_MANAGE),
            "can_secrets": actor.can(C.CHANNEL_SECRETS_MANAGE),
            "can_roster": actor.can(C.ROSTER_MANAGE),
        },
    )


# ------------------------------------------------------------------ SLA policies


@GET_POST
@settings_view_required
def sla_list(request: HttpRequest, municipality_slug: str) -> HttpResponse:
    municipality = _municipality(request)
    form: SlaPolicyForm | None = None
    if request.method == "POST":
        require_capability(request, C.SETTINGS_MANAGE)
        posted = SlaPolicyForm(request.POST)
        form = posted
        if _saved(
            posted,
            lambda: services.sla_policy_create(
                municipality=municipality, actor=signed_in_user(request), values=posted.values()
            ),
        ):
            messages.success(request, _("Срок добавлен."))
            return redirect("settings_sla", municipality_slug=municipality.slug)
    elif request_actor(request).can(C.SETTINGS_MANAGE):
        form = SlaPolicyForm()
    rows = selectors.sla_policy_rows(municipality=municipality)
    return _page(request, "configuration/sla_list.html", {"rows": rows}, form)


@GET_POST
@capability_required(C.SETTINGS_MANAGE)
def sla_edit(request: HttpRequest, municipality_slug: str, pk: int) -> HttpResponse:
    municipality = _municipality(request)
    policy = selectors.object_get_for_municipality(SlaPolicy, municipality=municipality, pk=pk)
    if request.method == "POST":
        form = SlaPolicyForm(request.POST)
        if _saved(
            form,
            lambda: services.sla_policy_update(
                policy=policy, actor=signed_in_user(request), values=form.values()
            ),
        ):
            messages.success(request, _("Срок изменён."))
            return redirect("settings_sla", municipality_slug=municipality.slug)
    else:
        form = SlaPolicyForm(initial=SlaPolicyForm.initial_for(policy))
    return _page(request, "configuration/sla_edit.html", {"policy": policy}, form)


@GET_POST
@capability_required(C.SETTINGS_MANAGE)
def sla_delete(request: HttpRequest, municipality_slug: str, pk: int) -> HttpResponse:
    municipality = _municipality(request)
    policy = selectors.object_get_for_municipality(SlaPolicy, municipality=municipality, pk=pk)
    error = ""
    if request.method == "POST":
        try:
            services.sla_policy_delete(policy=policy, actor=signed_in_user(request))
        except SettingsInvalid as refused:
            error = str(refused)
        else:
            messages.success(request, _("Срок удалён."))
            return redirect("settings_sla", municipality_slug=municipality.slug)
    return render(
        request,
        "configuration/confirm_delete.html",
        {
            "object": policy,
            "what": _("срок"),
            "error": error,
            "back": "settings_sla",
            "consequence": _(
                "Уже поступившие инциденты сохранят свои сроки; новые будут получать срок "
                "по остальным правилам."
            ),
        },
        status=400 if error else 200,
    )


# ------------------------------------------------------------------ routing rules


@GET_POST
@settings_view_required
def routing_list(request: HttpRequest, municipality_slug: str) -> HttpResponse:
    municipality = _municipality(request)
    form: RoutingRuleForm | None = None
    if request.method == "POST":
        require_capability(request, C.SETTINGS_MANAGE)
        posted = RoutingRuleForm(request.POST, municipality=municipality)
        form = posted
        if _saved(
            posted,
            lambda: services.routing_rule_create(
                municipality=municipality, actor=signed_in_user(request), values=posted.values()
            ),
        ):
            messages.success(request, _("Правило добавлено."))
            return redirect("settings_routing", municipality_slug=municipality.slug)
    elif request_actor(request).can(C.SETTINGS_MANAGE):
        form = RoutingRuleForm(municipality=municipality)
    return _page(
        request,
        "configuration/routing_list.html",
        {
            "rules": selectors.routing_rule_list(municipality=municipality),
            "try_form": RoutingTryForm(),
        },
        form,
    )


@GET_POST
@capability_required(C.SETTINGS_MANAGE)
def routing_edit(request: HttpRequest, municipality_slug: str, pk: int) -> HttpResponse:
    municipality = _municipality(request)
    rule = selectors.object_get_for_municipality(RoutingRule, municipality=municipality, pk=pk)
    if request.method == "POST":
        form = RoutingRuleForm(request.POST, municipality=municipality)
        if _saved(
            form,
            lambda: services.routing_rule_update(
                rule=rule, actor=signed_in_user(request), values=form.values()
            ),
        ):
            messages.success(request, _("Правило изменено."))
            return redirect("settings_routing", municipality_slug=municipality.slug)
    else:
        form = RoutingRuleForm(initial=RoutingRuleForm.initial_for(rule), municipality=municipality)
    return _page(request, "configuration/routing_edit.html", {"rule": rule}, form)


@GET_POST
@capability_required(C.SETTINGS_MANAGE)
def routing_delete(request: HttpRequest, municipality_slug: str, pk: int) -> HttpResponse:
    municipality = _municipality(request)
    rule = selectors.object_get_for_municipality(RoutingRule, municipality=municipality, pk=pk)
    if request.method == "POST":
        services.routing_rule_delete(rule=rule, actor=signed_in_user(request))
        messages.success(request, _("Правило удалено."))
        return redirect("settings_routing", municipality_slug=municipality.slug)
    return render(
        request,
        "configuration/confirm_delete.html",
        {
            "object": rule,
            "what": _("правило маршрутизации"),
            "back": "settings_routing",
            "consequence": _("Уже распределённые инциденты останутся там, куда их направили."),
        },
    )


@require_GET
@settings_view_required
def routing_try(request: HttpRequest, municipality_slug: str) -> HttpResponse:
    """Where a sample message would go — the inbox's own routing, nothing is stored."""
    municipality = _municipality(request)
    form = RoutingTryForm(request.GET or None)
    trial = None
    if form.is_valid():
        trial = selectors.routing_try(municipality=municipality, **form.cleaned_data)
    template = (
        "configuration/_routing_try_result.html"
        if request.htmx  # type: ignore[attr-defined]
        else "configuration/routing_try.html"
    )
    status = 400 if form.is_bound and form.errors else 200
    return render(request, template, {"try_form": form, "trial": trial}, status=status)


# ------------------------------------------------------------------ topic → sector mapping


@GET_POST
@settings_view_required
def topics(request: HttpRequest, municipality_slug: str) -> HttpResponse:
    """One table of the рубрикатор with a select of the municipality's blocks and units.

    A plain POST saves the whole table; with htmx each select saves itself on change and only
    its row's status cell comes back.
    """
    municipality = _municipality(request)
    sectors = selectors.sectors_of(municipality)
    units = selectors.executor_units_of(municipality)
    choices: dict[str, services.Target] = {"": services.Target()}
    choices.update({f"s{s.pk}": services.Target(sector=s) for s in sectors})
    choices.update({f"u{u.pk}": services.Target(org_unit=u) for u in units})
    errors: dict[int, str] = {}
    submitted: dict[int, str] = {}
    if request.method == "POST":
        require_capability(request, C.SETTINGS_MANAGE)
        by_pk = {t.pk: t for t in selectors.topics_ordered()}
        targets: dict[Topic, services.Target] = {}
        for key in request.POST:
            value = request.POST.get(key, "")
            if not key.startswith("t") or not key[1:].isdigit() or int(key[1:]) not in by_pk:
                continue
            topic = by_pk[int(key[1:])]
            submitted[topic.pk] = value
            if value not in choices:
                errors[topic.pk] = _("Выберите блок или исполнителя из списка.")
            else:
                targets[topic] = choices[value]
        if not errors:
            try:
                changed = services.sector_topics_set(
                    municipality=municipality, actor=signed_in_user(request), targets=targets
                )
            except SettingsInvalid as refused:
                errors[0] = str(refused)
        if not errors:
            if request.htmx:  # type: ignore[attr-defined]
                return render(
                    request, "configuration/_topic_saved.html", {"ok": True, "changed": changed}
                )
            messages.success(
                request, _("Сопоставление сохранено (изменено тем: %(n)s).") % {"n": changed}
            )
            return redirect("settings_topics", municipality_slug=municipality.slug)
        if request.htmx:  # type: ignore[attr-defined]
            return render(
                request,
                "configuration/_topic_saved.html",
                {"ok": False, "error": next(iter(errors.values()))},
                status=400,
            )
    rows = selectors.topic_mapping(municipality=municipality)
    return render(
        request,
        "configuration/topics.html",
        {
            "rows": rows,
            "sectors": sectors,
            "units": units,
            "errors": errors,
            "submitted": submitted,
            "can_edit": request_actor(request).can(C.SETTINGS_MANAGE),
        },
        status=400 if errors else 200,
    )


# ------------------------------------------------------------------ answer templates


@GET_POST
@settings_view_required
def template_list(request: HttpRequest, municipality_slug: str) -> HttpResponse:
    municipality = _municipality(request)
    form: AnswerTemplateForm | None = None
    if request.method == "POST":
        require_capability(request, C.SETTINGS_MANAGE)
        posted = AnswerTemplateForm(request.POST)
        form = posted
        if _saved(
            posted,
            lambda: services.answer_template_create(
                municipality=municipality, actor=signed_in_user(request), values=posted.values()
            ),
        ):
            messages.success(request, _("Шаблон добавлен."))
            return redirect("settings_templates", municipality_slug=municipality.slug)
    elif request_actor(request).can(C.SETTINGS_MANAGE):
        form = AnswerTemplateForm()
    return _page(
        request,
        "configuration/template_list.html",
        {"templates": selectors.answer_template_list(municipality=municipality)},
        form,
    )


@GET_POST
@capability_required(C.SETTINGS_MANAGE)
def template_edit(request: HttpRequest, municipality_slug: str, pk: int) -> HttpResponse:
    municipality = _municipality(request)
    template = selectors.object_get_for_municipality(
        AnswerTemplate, municipality=municipality, pk=pk
    )
    if request.method == "POST":
        form = AnswerTemplateForm(request.POST)
        if _saved(
            form,
            lambda: services.answer_template_update(
                template=template, actor=signed_in_user(request), values=form.values()
            ),
        ):
            messages.success(request, _("Шаблон изменён."))
            return redirect("settings_templates", municipality_slug=municipality.slug)
    else:
        form = AnswerTemplateForm(initial=AnswerTemplateForm.initial_for(template))
    return _page(request, "configuration/template_edit.html", {"template": template}, form)


@require_POST
@capability_required(C.SETTINGS_MANAGE)
def template_active(request: HttpRequest, municipality_slug: str, pk: int) -> HttpResponse:
    municipality = _municipality(request)
    template = selectors.object_get_for_municipality(
        AnswerTemplate, municipality=municipality, pk=pk
    )
    active = request.POST.get("active") == "1"
    services.answer_template_set_active(
        template=template, actor=signed_in_user(request), active=active
    )
    message = (
        _("Шаблон «%(title)s» снова предлагается в редакторе ответа.")
        if active
        else _("Шаблон «%(title)s» больше не предлагается в редакторе ответа.")
    )
    messages.success(request, message % {"title": template.title})
    return redirect("settings_templates", municipality_slug=municipality.slug)


# ------------------------------------------------------------------ channel secrets


@require_GET
@settings_view_required
def secrets(request: HttpRequest, municipality_slug: str) -> HttpResponse:
    municipality = _municipality(request)
    return render(
        request,
        "configuration/secrets.html",
        {
            "channels": selectors.channel_secret_overview(municipality=municipality),
            "can_edit": request_actor(request).can(C.CHANNEL_SECRETS_MANAGE),
        },
    )


@require_POST
@capability_required(C.CHANNEL_SECRETS_MANAGE)
def secret_issue(request: HttpRequest, municipality_slug: str, channel: str) -> HttpResponse:
    """Create or rotate; the answer is the only place the secret ever appears, so it is
    rendered here (not stored for a redirect) and marked never to be cached."""
    municipality = _municipality(request)
    if channel not in Channel.values:
        raise Http404
    value = services.channel_secret_issue(
        municipality=municipality, channel=channel, actor=signed_in_user(request)
    )
    response = render(
        request,
        "configuration/secret_issued.html",
        {
            "secret": value,
            "fingerprint": selectors.secret_fingerprint(value),
            "channel_label": Channel(channel).label,
            "channel": channel,
        },
    )
    add_never_cache_headers(response)
    return response


@require_POST
@capability_required(C.CHANNEL_SECRETS_MANAGE)
def secret_revoke(request: HttpRequest, municipality_slug: str, pk: int) -> HttpResponse:
    municipality = _municipality(request)
    secret = selectors.object_get_for_municipality(ChannelSecret, municipality=municipality, pk=pk)
    try:
        services.channel_secret_revoke(secret=secret, actor=signed_in_user(request))
    except SettingsInvalid as refused:
        messages.error(request, str(refused))
    else:
        messages.success(
            request,
            _("Секрет %(fingerprint)s отозван: подписанные им запросы больше не принимаются.")
            % {"fingerprint": selectors.secret_fingerprint(secret.secret)},
        )
    return redirect("settings_secrets", municipality_slug=municipality.slug)


# ------------------------------------------------------------------ roster


@GET_POST
@capability_required(C.ROSTER_MANAGE)
def roster_manage(request: HttpRequest, municipality_slug: str) -> HttpResponse:
    municipality = _municipality(request)
    if request.method == "POST":
        form = AppointForm(request.POST, municipality=municipality)
        if _saved(
            form,
            lambda: services.roster_appoint(
                municipality=municipality, actor=signed_in_user(request), values=form.values()
            ),
        ):
            messages.success(request, _("Назначение добавлено в состав МЦУ."))
            return redirect("settings_roster", municipality_slug=municipality.slug)
    else:
        form = AppointForm(initial=today_initial(municipality), municipality=municipality)
    return _page(
        request,
        "configuration/roster.html",
        {"assignments": selectors.roster_current(municipality=municipality)},
        form,
    )


@GET_POST
@capability_required(C.ROSTER_MANAGE)
def roster_end(request: HttpRequest, municipality_slug: str, pk: int) -> HttpResponse:
    municipality = _municipality(request)
    row = selectors.object_get_for_municipality(RoleAssignment, municipality=municipality, pk=pk)
    if request.method == "POST":
        form = EndForm(request.POST)
        if _saved(
            form,
            lambda: services.roster_end(
                assignment=row,
                actor=signed_in_user(request),
                on=form.cleaned_data["on"],
                note=form.cleaned_data["note"].strip(),
            ),
        ):
            messages.success(request, _("Назначение завершено; оно осталось в истории состава."))
            return redirect("settings_roster", municipality_slug=municipality.slug)
    else:
        form = EndForm(initial=today_initial(municipality))
    return _page(request, "configuration/roster_change.html", {"row": row, "mode": "end"}, form)


@GET_POST
@capability_required(C.ROSTER_MANAGE)
def roster_replace(request: HttpRequest, municipality_slug: str, pk: int) -> HttpResponse:
    municipality = _municipality(request)
    row = selectors.object_get_for_municipality(RoleAssignment, municipality=municipality, pk=pk)
    if request.method == "POST":
        form = ReplaceForm(request.POST, municipality=municipality)
        if _saved(
            form,
            lambda: services.roster_replace(
                assignment=row,
                actor=signed_in_user(request),
                new_user=form.cleaned_data["person"],
                on=form.cleaned_data["on"],
                note=form.cleaned_data["note"].strip(),
            ),
        ):
            messages.success(
                request, _("Сотрудник заменён; прежнее назначение осталось в истории состава.")
            )
            return redirect("settings_roster", municipality_slug=municipality.slug)
    else:
        form = ReplaceForm(initial=today_initial(municipality), municipality=municipality)
    return _page(request, "configuration/roster_change.html", {"row": row, "mode": "replace"}, form)
