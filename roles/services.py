"""Writes about people and roles: seeding the acts' rosters, demo accounts, roster changes."""

from __future__ import annotations

import logging
from datetime import date, timedelta

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.mail import send_mail
from django.db import transaction
from django.utils.translation import gettext

from mcu.models import Municipality, Region
from mcu.seeding import SeedLog, seed_upsert
from mcu.tenancy import WrongMunicipality, municipality_scope
from roles.models import OrgUnit, RegionMembership, Role, RoleAssignment, Sector, User
from roles.seed_data import ROSTERS
from roles.seed_data.types import RoleSeed, RosterSeed

logger = logging.getLogger(__name__)

DEMO_PASSWORD = "mcu-demo"  # noqa: S105 - documented demo password, laptop/demo only
ADMIN_GROUP = "Администраторы МЦУ"
# What a municipal administrator manages in the admin: the roster and its reference data. Apps
# built on roles add theirs through an ``admin_group_permissions`` attribute of their AppConfig.
ADMIN_GROUP_PERMISSIONS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("roles", "orgunit", ("view", "add", "change")),
    ("roles", "sector", ("view", "add", "change")),
    ("roles", "roleassignment", ("view", "add", "change")),
    ("roles", "user", ("view",)),
    ("mcu", "municipality", ("view",)),
)


class RosterError(ValueError):
    """A roster change that the rules do not allow; the message says why, in Russian."""


def _user_upsert(*, username: str, full_name: str, position: str, log: SeedLog) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, full_name=full_name, position=position)
        user.set_unusable_password()  # a chair of the act; the administrator gives it a login
        user.save()
        log.record("roles.User", created=True)
        return user
    changed = [
        f for f, v in (("full_name", full_name), ("position", position)) if getattr(user, f) != v
    ]
    if changed:
        user.full_name, user.position = full_name, position
        user.save(update_fields=changed)
        log.record("roles.User", created=False, changed=True)
    return user


def _role_seed_key(row: RoleSeed, taken: set[str]) -> str:
    """A key that survives edits of wording: what the row *is*, not where it stands."""
    base = ":".join(
        [
            "act",
            row.role,
            row.person or "group",
            row.sector or "",
            row.channel or "",
            row.org_unit or "",
        ]
    )
    key, n = base, 1
    while key in taken:
        n += 1
        key = f"{base}:{n}"
    taken.add(key)
    return key


def roster_seed(*, roster: RosterSeed, log: SeedLog) -> None:
    """Create or update one municipality's sectors, units, chairs and roles from its act."""
    municipality = Municipality.objects.get(slug=roster.slug)
    with municipality_scope(municipality.pk):
        sectors = {
            seed.code: seed_upsert(
                Sector,
                lookup={"municipality": municipality, "code": seed.code},
                values={
                    "name": seed.name,
                    "description": seed.description,
                    "topic_codes": list(seed.topic_codes),
                    "act_clause": seed.act_clause,
                    "order": index,
                },
                log=log,
            )
            for index, seed in enumerate(roster.sectors, start=1)
        }
        units: dict[str, OrgUnit] = {}
        for seed in roster.org_units:  # the data lists a parent before its children
            units[seed.code] = seed_upsert(
                OrgUnit,
                lookup={"municipality": municipality, "code": seed.code},
                values={
                    "name": seed.name,
                    "kind": seed.kind,
                    "parent": units[seed.parent] if seed.parent else None,
                },
                log=log,
            )
        people = {
            person.key: _user_upsert(
                # A dot, not a dash: demo logins are "<slug>-<role>" and must never be a chair.
                username=f"{roster.slug}.{person.key}",
                full_name=person.full_name,
                position=person.position,
                log=log,
            )
            for person in roster.persons
        }
        taken: set[str] = set()
        for row in roster.roles:
            seed_upsert(
                RoleAssignment,
                lookup={"municipality": municipality, "seed_key": _role_seed_key(row, taken)},
                values={
                    "user": people[row.person] if row.person else None,
                    "role": row.role,
                    "position_title": row.position_title,
                    "sector": sectors[row.sector] if row.sector else None,
                    "channel": row.channel or "",
                    "org_unit": units[row.org_unit] if row.org_unit else None,
                    "valid_from": roster.act_date,
                    "source": RoleAssignment.Source.ACT,
                    "act_clause": row.act_clause,
                    "note": row.note,
                },
                log=log,
            )


@transaction.atomic
def rosters_seed(*, log: SeedLog) -> None:
    for roster in ROSTERS.values():
        roster_seed(roster=roster, log=log)


def _admin_group(*, log: SeedLog) -> Group:
    group, created = Group.objects.get_or_create(name=ADMIN_GROUP)
    log.record("auth.Group", created=created)
    wanted = set()
    contributed = [
        row
        for config in apps.get_app_configs()
        for row in getattr(config, "admin_group_permissions", ())
    ]
    for app_label, model, actions in [*ADMIN_GROUP_PERMISSIONS, *contributed]:
        for action in actions:
            wanted.add(
                Permission.objects.get(
                    content_type__app_label=app_label, codename=f"{action}_{model}"
                )
            )
    if set(group.permissions.all()) != wanted:
        group.permissions.set(wanted)
        log.record("auth.Group", created=False, changed=True)
    return group


def _demo_user(*, username: str, full_name: str, log: SeedLog, staff: bool = False) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(
            username=username, full_name=full_name, position="Демо-учётная запись", is_staff=staff
        )
        user.set_password(DEMO_PASSWORD)  # only on creation: a second run must change nothing
        user.save()
        log.record("roles.User", created=True)
    return user


def demo_username(municipality: Municipality, role: str) -> str:
    return f"{municipality.slug}-{role.replace('_', '-')}"


@transaction.atomic
def demo_accounts_seed(*, log: SeedLog) -> None:
    """``<slug>-<role>`` for every role a municipality's act gives, ``admin``, and ЦУР analysts.

    A demo account stands in for every chair of its role: it gets one assignment per act row of
    that role, with the row's sector / channel / unit — ``sosnovoborsk-sector-owner`` answers for
    all seven directions, ``lensky-sector-owner`` for both deputies' blocks.
    """
    if not User.objects.filter(username="admin").exists():
        User.objects.create_superuser(
            username="admin",
            email="admin@localhost",
            password=DEMO_PASSWORD,
            full_name="Администратор платформы",
        )
        log.record("roles.User", created=True)
    admin_group = _admin_group(log=log)
    for municipality in Municipality.objects.order_by("slug"):
        with municipality_scope(municipality.pk):
            rows_by_role: dict[str, list[RoleAssignment]] = {}
            for row in RoleAssignment.objects.filter(source=RoleAssignment.Source.ACT).order_by(
                "pk"
            ):
                rows_by_role.setdefault(row.role, []).append(row)
            for role, rows in rows_by_role.items():
                label = Role(role).label
                user = _demo_user(
                    username=demo_username(municipality, role),
                    full_name=f"Демо: {label} ({municipality.short_name})",
                    staff=role == Role.TECH_ADMIN,
                    log=log,
                )
                if role == Role.TECH_ADMIN and not user.groups.filter(pk=admin_group.pk).exists():
                    user.groups.add(admin_group)
                    log.record("roles.User", created=False, changed=True)
                for row in rows:
                    seed_upsert(
                        RoleAssignment,
                        lookup={"municipality": municipality, "seed_key": f"demo:{row.seed_key}"},
                        values={
                            "user": user,
                            "role": role,
                            "position_title": row.position_title,
                            "sector_id": row.sector_id,
                            "channel": row.channel,
                            "org_unit_id": row.org_unit_id,
                            "source": RoleAssignment.Source.DEMO,
                        },
                        log=log,
                    )
    for region in Region.objects.order_by("slug"):
        analyst = _demo_user(
            username=f"{region.slug}-analyst",
            full_name=f"Демо: аналитик ЦУР ({region.name})",
            log=log,
        )
        _, created = RegionMembership.objects.get_or_create(
            user=analyst, region=region, role=Role.REGIONAL_ANALYST
        )
        log.record("roles.RegionMembership", created=created)


@transaction.atomic
def role_assignment_replace(
    *, assignment: RoleAssignment, new_user: User, on: date, note: str = ""
) -> RoleAssignment:
    """Hand a chair to another person from ``on``: the old row ends the day before, a new one
    starts — the roster keeps its history (Октябрьский Регламент §1.4)."""
    if assignment.valid_to is not None and assignment.valid_to < on:
        raise RosterError(gettext("Назначение уже завершено; замена невозможна."))
    if assignment.valid_from is not None and on <= assignment.valid_from:
        raise RosterError(gettext("Дата замены должна быть позже даты начала назначения."))
    if assignment.user_id == new_user.pk:
        raise RosterError(gettext("Эту роль уже исполняет выбранный сотрудник."))
    locked = RoleAssignment.objects.select_for_update().get(pk=assignment.pk)
    if locked.municipality_id != assignment.municipality_id:
        raise WrongMunicipality("assignment moved between municipalities")
    locked.valid_to = on - timedelta(days=1)
    locked.save(update_fields=["valid_to"])
    started = RoleAssignment.objects.create(
        municipality_id=locked.municipality_id,
        user=new_user,
        role=locked.role,
        position_title=locked.position_title,
        sector_id=locked.sector_id,
        channel=locked.channel,
        org_unit_id=locked.org_unit_id,
        valid_from=on,
        source=RoleAssignment.Source.ADMIN,
        act_clause=locked.act_clause,
        note=note,
    )
    _cur_notify_after_commit(
        municipality_id=locked.municipality_id, ended_id=locked.pk, started_id=started.pk
    )
    return started


@transaction.atomic
def role_assignment_end(*, assignment: RoleAssignment, on: date, note: str = "") -> RoleAssignment:
    """End a chair's assignment: ``on`` is its last day. The row stays in the roster's history."""
    locked = RoleAssignment.objects.select_for_update().get(pk=assignment.pk)
    if locked.municipality_id != assignment.municipality_id:
        raise WrongMunicipality("assignment moved between municipalities")
    if locked.valid_to is not None and locked.valid_to <= on:
        raise RosterError(gettext("Назначение уже завершено."))
    if locked.valid_from is not None and on < locked.valid_from:
        raise RosterError(gettext("Дата окончания не может быть раньше даты начала назначения."))
    locked.valid_to = on
    fields = ["valid_to"]
    if note:
        locked.note = f"{locked.note}\n{note}".strip()
        fields.append("note")
    locked.save(update_fields=fields)
    return locked


@transaction.atomic
def role_assignment_appoint(
    *,
    municipality: Municipality,
    user: User,
    role: str,
    on: date,
    sector: Sector | None = None,
    channel: str = "",
    org_unit: OrgUnit | None = None,
    position_title: str = "",
    note: str = "",
) -> RoleAssignment:
    """Appoint a person to a role from ``on``. Nothing existing changes: a new row opens."""
    if role not in Role.values or role == Role.REGIONAL_ANALYST:
        # A ЦУР analyst is a member of the region (RegionMembership), not of a roster.
        raise RosterError(gettext("Эту роль нельзя назначить в составе МЦУ."))
    for obj in (sector, org_unit):
        if obj is not None and obj.municipality_id != municipality.pk:
            raise WrongMunicipality(f"{obj!r} belongs to another municipality")
    same = RoleAssignment.objects.active_on(on).filter(
        municipality=municipality,
        user=user,
        role=role,
        sector=sector,
        channel=channel,
        org_unit=org_unit,
    )
    if same.exists():
        raise RosterError(gettext("Сотрудник уже исполняет эту роль на эту дату."))
    return RoleAssignment.objects.create(
        municipality=municipality,
        user=user,
        role=role,
        position_title=position_title,
        sector=sector,
        channel=channel,
        org_unit=org_unit,
        valid_from=on,
        source=RoleAssignment.Source.ADMIN,
        note=note,
    )


# --- telling the ЦУР of a change (issue 8 item 5) ---------------------------------------------


def _cur_notify_after_commit(*, municipality_id: int, ended_id: int, started_id: int) -> None:
    """Октябрьский Регламент §1.4: «Руководитель Центра своевременно информирует ЦУР о смене
    ответственных лиц по направлениям». Queued after commit, so a rolled-back change tells
    nobody; the worker sends it and retries a mail server that is down."""

    def send() -> None:
        # Imported here: the task module is the project's, loaded once apps are ready.
        from mcu.tasks import roster_change_notify_task

        roster_change_notify_task.delay(
            municipality_id=municipality_id, ended_id=ended_id, started_id=started_id
        )

    transaction.on_commit(send)


def _holder_line(row: RoleAssignment) -> str:
    who = row.user.display_name if row.user else row.position_title
    position = f" ({row.user.position})" if row.user and row.user.position else ""
    return f"{who}{position}"


def roster_change_cur_notify(*, municipality_id: int, ended_id: int, started_id: int) -> bool:
    """E-mail the region's ЦУР contact (``Region.cur_contact_email``) who left a chair and who
    took it. Returns False, with a warning in the log, where the region has no contact yet —
    the change itself stays in the roster's history either way."""
    municipality = Municipality.objects.select_related("region").get(pk=municipality_id)
    recipient = municipality.region.cur_contact_email
    if not recipient:
        logger.warning(
            "roster change in %s not sent to the ЦУР: region %s has no cur_contact_email",
            municipality.slug,
            municipality.region.slug,
        )
        return False
    with municipality_scope(municipality_id):
        rows = {
            row.pk: row
            for row in RoleAssignment.objects.filter(
                municipality_id=municipality_id, pk__in=[ended_id, started_id]
            ).select_related("user", "sector", "org_unit")
        }
    ended, started = rows[ended_id], rows[started_id]
    seat = str(Role(started.role).label)
    qualifiers = [
        str(value)
        for value in (
            started.sector.name if started.sector else "",
            started.get_channel_display() if started.channel else "",
            started.org_unit.name if started.org_unit else "",
        )
        if value
    ]
    if qualifiers:
        seat = f"{seat} ({', '.join(qualifiers)})"
    lines = [
        gettext("МЦУ: %(name)s") % {"name": municipality.name},
        gettext("Роль: %(seat)s") % {"seat": seat},
        gettext("Исполнял(а) по %(day)s: %(who)s")
        % {
            "day": f"{ended.valid_to:%d.%m.%Y}" if ended.valid_to else "—",
            "who": _holder_line(ended),
        },
        gettext("Исполняет с %(day)s: %(who)s")
        % {
            "day": f"{started.valid_from:%d.%m.%Y}" if started.valid_from else "—",
            "who": _holder_line(started),
        },
    ]
    if started.note:
        lines.append(gettext("Примечание: %(note)s") % {"note": started.note})
    lines.append(
        gettext(
            "Уведомление направлено автоматически в соответствии с п. 1.4 Регламента "
            "(информирование ЦУР о смене ответственных лиц)."
        )
    )
    send_mail(
        subject=gettext("[МЦУ] Смена ответственного лица: %(municipality)s")
        % {"municipality": municipality.short_name},
        message="\n".join(lines),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[recipient],
    )
    return True
