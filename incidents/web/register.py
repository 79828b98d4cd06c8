"""Manual registration of a message that came by phone, visit or paper (issue 5 item 5)."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from incidents.exceptions import ActorLacksCapability, IncidentError, InvalidInput
from incidents.services.intake import IncomingMessage
from incidents.web.forms import RegisterForm, TopicField
from integrations.services.manual import register_manually
from roles.access import capability_required, request_actor, signed_in_user
from roles.models import Channel
from roles.permissions import Capability

C = Capability
# Channels a person types in by hand; ИМ and госпаблики arrive only from their systems.
MANUAL_CHANNELS = (Channel.EDDS, Channel.APPEAL, Channel.POS, Channel.EMAIL)


@capability_required(C.INCIDENT_REGISTER)
def incident_register(request: HttpRequest, municipality_slug: str) -> HttpResponse:
    municipality = request.municipality  # type: ignore[attr-defined]
    actor = request_actor(request)
    channels = [
        (code, str(label))
        for code, label in Channel.choices
        if code in MANUAL_CHANNELS
        and actor.can_on(C.INCIDENT_REGISTER, sector_id=None, channel=code)
    ]
    if request.method == "POST":
        form = RegisterForm(request.POST, municipality=municipality, channels=channels)
        if form.is_valid():
            data = form.cleaned_data
            message = IncomingMessage(
                channel=data["channel"],
                external_id=data["registration_number"].strip() or f"manual-{data['token']}",
                text=data["text"],
                received_at=data["received_at"],
                fast_track=bool(data["fast_track"]) and data["channel"] == Channel.POS,
                topic_code=(
                    topic.code if (topic := TopicField().to_topic(data["topic"])) else None
                ),
                citizen_name=data["citizen_name"],
                citizen_phone=data["citizen_phone"],
                citizen_email=data["citizen_email"],
                citizen_postal_address=data["citizen_postal_address"],
                address=data["address"],
                settlement_code=data["settlement"].code if data["settlement"] else None,
            )
            try:
                incident, created = register_manually(
                    municipality=municipality, actor=signed_in_user(request), message=message
                )
            except ActorLacksCapability as error:
                form.add_error("channel", error.message)
            except InvalidInput as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            except IncidentError as error:
                form.add_error(None, error.message)
            else:
                if created:
                    messages.success(
                        request,
                        _("Сообщение зарегистрировано: инцидент № %(n)s.") % {"n": incident.pk},
                    )
                else:
                    messages.info(
                        request,
                        _("Это сообщение уже зарегистрировано: инцидент № %(n)s.")
                        % {"n": incident.pk},
                    )
                return redirect(
                    "incident_detail", municipality_slug=municipality.slug, pk=incident.pk
                )
        status = 400
    else:
        form = RegisterForm(
            municipality=municipality,
            channels=channels,
            initial={
                "token": uuid.uuid4(),
                "received_at": timezone.localtime().replace(second=0, microsecond=0),
                "channel": channels[0][0] if channels else None,
            },
        )
        status = 200
    return render(request, "incidents/register.html", {"form": form}, status=status)
