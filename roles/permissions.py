"""The permission matrix: which role may do what. The only place that answers "may this role…".

Views, services and templates ask ``ActorCapabilities.can(...)``; none of them compares role
names. Capabilities on incidents and answers are *qualified* by the assignment: a sector owner
acts on incidents of the sector, an ИМ operator on messages of the ИМ channel. Other
capabilities (reports, roster, settings) apply to the whole municipality.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from roles.models import Channel, Role


class Capability(StrEnum):
    MUNICIPALITY_VIEW = "municipality.view"
    ROSTER_VIEW = "roster.view"
    ROSTER_MANAGE = "roster.manage"
    INCIDENT_VIEW = "incident.view"
    INCIDENT_VIEW_PERSONAL_DATA = "incident.view_personal_data"
    INCIDENT_REGISTER = "incident.register"
    INCIDENT_TRIAGE = "incident.triage"
    INCIDENT_TAKE = "incident.take"
    INCIDENT_REJECT = "incident.reject"
    INCIDENT_FORWARD = "incident.forward"
    INCIDENT_POSTPONE = "incident.postpone"
    INCIDENT_MERGE = "incident.merge"
    INCIDENT_REOPEN = "incident.reopen"
    INCIDENT_EXTEND_DEADLINE = "incident.extend_deadline"
    INCIDENT_EXPORT = "incident.export"
    ANSWER_DRAFT = "answer.draft"
    ANSWER_SUBMIT = "answer.submit"
    ANSWER_APPROVE_SECTOR = "answer.approve_sector"
    ANSWER_APPROVE_HEAD = "answer.approve_head"
    ANSWER_PUBLISH = "answer.publish"
    REPORTS_VIEW = "reports.view"
    REPORTS_GENERATE = "reports.generate"
    KPI_MANAGE = "kpi.manage"
    SETTINGS_MANAGE = "settings.manage"
    CHANNEL_SECRETS_MANAGE = "channel_secrets.manage"
    INBOX_MANAGE = "inbox.manage"
    AUDIT_VIEW = "audit.view"
    MEETINGS_MANAGE = "meetings.manage"
    ASSIGNMENTS_EXECUTE = "assignments.execute"
    ROADMAPS_MANAGE = "roadmaps.manage"
    ROADMAPS_APPROVE = "roadmaps.approve"
    HEARINGS_MANAGE = "hearings.manage"


C = Capability

# Capabilities that act on one incident and so honour the assignment's sector / channel.
QUALIFIED: frozenset[Capability] = frozenset(
    c for c in Capability if c.value.startswith(("incident.", "answer."))
)

_EVERYONE = {C.MUNICIPALITY_VIEW, C.ROSTER_VIEW}
# A channel operator takes messages in, classifies, routes, and publishes the approved answer.
_CHANNEL_OPERATOR = {
    C.INCIDENT_VIEW,
    C.INCIDENT_VIEW_PERSONAL_DATA,
    C.INCIDENT_REGISTER,
    C.INCIDENT_TRIAGE,
    C.INCIDENT_REJECT,
    C.INCIDENT_FORWARD,
    C.INCIDENT_MERGE,
    C.INCIDENT_REOPEN,
    C.INCIDENT_EXPORT,
    C.ANSWER_PUBLISH,
    C.REPORTS_VIEW,
}
_ANSWERING = {
    C.INCIDENT_VIEW,
    C.INCIDENT_VIEW_PERSONAL_DATA,
    C.INCIDENT_TAKE,
    C.ANSWER_DRAFT,
    C.ANSWER_SUBMIT,
    C.ASSIGNMENTS_EXECUTE,
}

MATRIX: Mapping[Role, frozenset[Capability]] = {
    # Сосновоборский §3.4.1: methodology and the target indicators.
    Role.COORDINATOR: frozenset(
        _EVERYONE
        | {C.INCIDENT_VIEW, C.INCIDENT_EXPORT, C.REPORTS_VIEW, C.REPORTS_GENERATE, C.KPI_MANAGE}
    ),
    # Сосновоборский §3.4.2, §3.2: holds the meetings and signs their protocols.
    Role.CURATOR: frozenset(
        _EVERYONE
        | {
            C.INCIDENT_VIEW,
            C.INCIDENT_EXPORT,
            C.REPORTS_VIEW,
            C.REPORTS_GENERATE,
            C.KPI_MANAGE,
            C.MEETINGS_MANAGE,
            C.ROADMAPS_APPROVE,
            C.AUDIT_VIEW,
        }
    ),
    # Октябрьский Регламент §2.5: approves social-network answers before the ИМ curator posts
    # them; runs the center day to day, so may act on any incident — approve for a block that
    # has no sector curator (Ленский), publish in a channel that has no operator (Октябрьский
    # has no ЕДДС chair, Аскизский no appeals officer).
    Role.HEAD: frozenset(
        _EVERYONE
        | _CHANNEL_OPERATOR
        | {
            C.INCIDENT_POSTPONE,
            C.INCIDENT_EXTEND_DEADLINE,
            C.ANSWER_APPROVE_SECTOR,
            C.ANSWER_APPROVE_HEAD,
            C.REPORTS_GENERATE,
            C.KPI_MANAGE,
            C.ROSTER_MANAGE,
            # Terms, routing rules, the topic → block map and answer templates are how the
            # center runs its work; three of the five acts create no administrator, so without
            # this only the platform's superuser could change them. Channel secrets stay with
            # the technical administrator (and the superuser).
            C.SETTINGS_MANAGE,
            C.AUDIT_VIEW,
            C.MEETINGS_MANAGE,
            C.ROADMAPS_MANAGE,
            C.HEARINGS_MANAGE,
        }
    ),
    # Октябрьский Положение §3.4: approves the block's answers, controls terms, approves roadmaps.
    Role.SECTOR_CURATOR: frozenset(
        _EVERYONE
        | {
            C.INCIDENT_VIEW,
            C.INCIDENT_VIEW_PERSONAL_DATA,
            C.INCIDENT_TRIAGE,
            C.INCIDENT_POSTPONE,
            C.INCIDENT_EXPORT,
            C.ANSWER_APPROVE_SECTOR,
            C.REPORTS_VIEW,
            C.ROADMAPS_APPROVE,
        }
    ),
    # Октябрьский Регламент §2.5: prepares the answer; publishes ПОС answers on the platform.
    Role.SECTOR_OWNER: frozenset(
        _EVERYONE
        | _ANSWERING
        | {
            C.INCIDENT_TRIAGE,
            C.INCIDENT_POSTPONE,
            C.INCIDENT_EXPORT,
            C.ANSWER_PUBLISH,
            C.REPORTS_VIEW,
            C.ROADMAPS_MANAGE,
        }
    ),
    # Ловозерский §3.4: unit heads draft answers and answer for their accuracy and terms.
    Role.EXECUTOR: frozenset(_EVERYONE | _ANSWERING),
    # Ленский Прил. 3 п. 4: handles what comes through the ЕДДС.
    Role.EDDS_HEAD: frozenset(_EVERYONE | _CHANNEL_OPERATOR | _ANSWERING),
    # Сосновоборский §3.4.4: also the municipal authority of the ПОС polls module.
    Role.POS_OPERATOR: frozenset(_EVERYONE | _CHANNEL_OPERATOR | {C.HEARINGS_MANAGE}),
    # Сосновоборский §3.4.5: routes ИМ messages or prepares the answer itself (and then sends
    # it for approval like any other answer).
    Role.IM_OPERATOR: frozenset(_EVERYONE | _CHANNEL_OPERATOR | {C.ANSWER_DRAFT, C.ANSWER_SUBMIT}),
    Role.APPEALS_OFFICER: frozenset(_EVERYONE | _CHANNEL_OPERATOR),
    Role.GOSPUBLIC_OFFICER: frozenset(
        _EVERYONE | _CHANNEL_OPERATOR | {C.ANSWER_DRAFT, C.ANSWER_SUBMIT}
    ),
    # Октябрьский Положение §3.6: the problemator weekly, the KPI report monthly.
    Role.SUPPORT_OFFICER: frozenset(
        _EVERYONE | {C.INCIDENT_VIEW, C.INCIDENT_EXPORT, C.REPORTS_VIEW, C.REPORTS_GENERATE}
    ),
    # Ловозерский §3.5: technical support and information security — not citizens' messages.
    Role.TECH_ADMIN: frozenset(
        _EVERYONE
        | {
            C.ROSTER_MANAGE,
            C.SETTINGS_MANAGE,
            C.CHANNEL_SECRETS_MANAGE,
            C.INBOX_MANAGE,
            C.AUDIT_VIEW,
        }
    ),
    # Ловозерский Прил. 2 п. 5: the regional platform ЕЦПУР; incidents are forwarded there.
    Role.ECPUR_CURATOR: frozenset(
        _EVERYONE | {C.INCIDENT_VIEW, C.INCIDENT_FORWARD, C.INCIDENT_EXPORT, C.REPORTS_VIEW}
    ),
    # Ловозерский Прил. 2 п. 6: appeals registered in the СЭД.
    Role.SED_CURATOR: frozenset(
        _EVERYONE
        | {
            C.INCIDENT_VIEW,
            C.INCIDENT_VIEW_PERSONAL_DATA,
            C.INCIDENT_REGISTER,
            C.INCIDENT_TRIAGE,
            C.INCIDENT_FORWARD,
            C.REPORTS_VIEW,
        }
    ),
    # The regional ЦУР reads, never writes, and sees no citizen's personal data.
    Role.REGIONAL_ANALYST: frozenset(_EVERYONE | {C.INCIDENT_VIEW, C.REPORTS_VIEW}),
}

# Where an operator role's assignment names no channel, the role's own channel applies.
ROLE_CHANNEL: Mapping[Role, Channel] = {
    Role.EDDS_HEAD: Channel.EDDS,
    Role.POS_OPERATOR: Channel.POS,
    Role.IM_OPERATOR: Channel.IM,
    Role.APPEALS_OFFICER: Channel.APPEAL,
    Role.GOSPUBLIC_OFFICER: Channel.GOSPUBLIC,
    Role.SED_CURATOR: Channel.APPEAL,
}


# A capability that a role has only on some channels, whatever its assignment says.
# Регламент Октябрьского района §2.5: the sector owner publishes ПОС answers on the platform
# itself; a social-network answer is published by the ИМ curator after the head approves it.
ROLE_CAPABILITY_CHANNELS: Mapping[tuple[Role, Capability], frozenset[str]] = {
    (Role.SECTOR_OWNER, C.ANSWER_PUBLISH): frozenset({Channel.POS.value}),
    # The head publishes only where a channel may have no operator of its own.
    (Role.HEAD, C.ANSWER_PUBLISH): frozenset(
        {Channel.POS.value, Channel.EDDS.value, Channel.APPEAL.value, Channel.EMAIL.value}
    ),
}


@dataclass(frozen=True)
class Grant:
    capability: Capability
    sector_id: int | None = None  # None: every sector
    channel: str | None = None  # None: every channel


@dataclass(frozen=True)
class ActorCapabilities:
    """What one user may do in one municipality, from their active role assignments."""

    roles: frozenset[Role]
    grants: frozenset[Grant]
    is_superuser: bool = False

    @classmethod
    def from_assignments(
        cls, assignments: Iterable[tuple[str, int | None, str]], *, is_superuser: bool = False
    ) -> ActorCapabilities:
        """``assignments``: (role, sector id, channel) of each active assignment."""
        roles: set[Role] = set()
        grants: set[Grant] = set()
        for role_value, sector_id, channel in assignments:
            role = Role(role_value)
            roles.add(role)
            channel_qualifier = channel or ROLE_CHANNEL.get(role)
            for capability in MATRIX[role]:
                if capability not in QUALIFIED:
                    grants.add(Grant(capability))
                    continue
                only = ROLE_CAPABILITY_CHANNELS.get((role, capability))
                if only is None:
                    grants.add(Grant(capability, sector_id, channel_qualifier or None))
                    continue
                for allowed in sorted(only):
                    if not channel_qualifier or channel_qualifier == allowed:
                        grants.add(Grant(capability, sector_id, allowed))
        return cls(frozenset(roles), frozenset(grants), is_superuser)

    def can(self, capability: Capability) -> bool:
        """May the user do this anywhere in the municipality (for menus and page access)?"""
        return self.is_superuser or any(g.capability == capability for g in self.grants)

    def can_on(self, capability: Capability, *, sector_id: int | None, channel: str | None) -> bool:
        """May the user do this to one incident of this sector and channel?"""
        if self.is_superuser:
            return True
        return any(
            g.capability == capability
            and (g.sector_id is None or g.sector_id == sector_id)
            and (g.channel is None or g.channel == channel)
            for g in self.grants
        )

    @property
    def capabilities(self) -> frozenset[Capability]:
        if self.is_superuser:
            return frozenset(Capability)
        return frozenset(g.capability for g in self.grants)


NO_CAPABILITIES = ActorCapabilities(frozenset(), frozenset())
