"""Typed shape of a municipality's roster as its founding act lists it.

The data modules beside this file (one per municipality, named by its slug) transcribe the acts in
``shared/seeds/``; ``python manage.py seed`` loads them. Keys are stable ASCII identifiers so that
re-seeding finds the same rows (seeding is idempotent) and demo/usernames stay predictable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class SectorSeed:
    """An отраслевой блок / направление exactly as the act names it."""

    code: str  # stable ASCII slug, unique within the municipality, e.g. "roads"
    name: str  # the act's wording, e.g. "Жилищно-коммунальное хозяйство и энергетика"
    topic_codes: tuple[str, ...]  # standard ЦУР topic codes the block covers (see TOPIC_CODES)
    act_clause: str  # where the act lists it, e.g. "Положение, п. 1.4"
    description: str = ""  # the act's own detail, e.g. "(культура, спорт, образование, …)"


@dataclass(frozen=True)
class OrgUnitSeed:
    """A body that answers citizens: structural unit, institution, settlement, ЕДДС, Дума, КСП."""

    code: str  # stable ASCII slug, unique within the municipality
    name: str  # full Russian name as the act words it
    kind: str  # one of roles.models.OrgUnit.Kind values (see ORG_UNIT_KINDS)
    parent: str | None = None  # code of the parent unit, if the act says so


@dataclass(frozen=True)
class PersonSeed:
    """One person (one chair) of the roster. A chair the act gives no name for has full_name ""."""

    key: str  # stable ASCII slug unique within the municipality; username is "<slug>-<key>"
    position: str  # the person's position as the act words it
    full_name: str = ""  # "Фамилия И.О." only where the act itself names the holder
    org_unit: str | None = None  # OrgUnitSeed.code the person works in, where known
    name_source: str = ""  # where the act names the person (required when full_name is set)


@dataclass(frozen=True)
class RoleSeed:
    """One row of the roster: a role held by a person (or by a group of officials)."""

    role: str  # one of ROLE_CODES
    position_title: str  # how the act words this row (the role and position as written)
    act_clause: str  # e.g. "Приложение № 2, п. 3"
    person: str | None = None  # PersonSeed.key; None when the row names a group of officials
    sector: str | None = None  # SectorSeed.code for sector roles
    channel: str | None = None  # one of CHANNEL_CODES for channel roles
    org_unit: str | None = None  # OrgUnitSeed.code where the row is tied to a unit
    note: str = ""  # interpretation notes (merged cells, typos in the act …)


@dataclass(frozen=True)
class RosterSeed:
    slug: str
    act_title: str  # e.g. "Распоряжение администрации … от 11.03.2025 № 01-04-322/5"
    act_date: date | None  # the assignments' valid_from; None when the act leaves the date blank
    sectors: tuple[SectorSeed, ...] = field(default_factory=tuple)
    org_units: tuple[OrgUnitSeed, ...] = field(default_factory=tuple)
    persons: tuple[PersonSeed, ...] = field(default_factory=tuple)
    roles: tuple[RoleSeed, ...] = field(default_factory=tuple)


ROLE_CODES: tuple[str, ...] = (
    "coordinator",  # координатор МЦУ
    "curator",  # куратор МЦУ
    "head",  # руководитель МЦУ
    "sector_curator",  # куратор отраслевого блока
    "sector_owner",  # ответственный за отраслевой блок / направление
    "executor",  # исполнитель: руководители подразделений, учреждений (ответственные получатели)
    "edds_head",  # руководитель ЕДДС
    "pos_operator",  # ответственный за работу в ПОС
    "im_operator",  # ответственный за работу в «Инцидент Менеджмент»
    "appeals_officer",  # ответственный за работу с обращениями граждан (59-ФЗ)
    "gospublic_officer",  # информационная политика, госпаблики
    "support_officer",  # ответственный за обеспечение деятельности Центра
    "tech_admin",  # техническое обеспечение / администратор МЦУ
    "ecpur_curator",  # куратор ЕЦПУР (Мурманская обл.)
    "sed_curator",  # куратор СЭД
    "regional_analyst",  # аналитик ЦУР (regional, read-only; never in a municipal act)
)

CHANNEL_CODES: tuple[str, ...] = ("im", "pos", "edds", "appeal", "gospublic", "email")

ORG_UNIT_KINDS: tuple[str, ...] = (
    "administration",  # администрация как орган
    "structural_unit",  # структурное подразделение (отдел, сектор, управление)
    "institution",  # подведомственное учреждение (МКУ, МБУК …)
    "settlement",  # городское / сельское поселение
    "edds",  # ЕДДС
    "duma",  # представительный орган
    "ksp",  # контрольно-счётная палата
)

TOPIC_CODES: tuple[str, ...] = (
    "zhkh",  # ЖКХ
    "roads",  # дороги
    "transport",  # транспорт
    "improvement",  # благоустройство
    "waste",  # ТКО
    "energy",  # энергетика
    "education",  # образование
    "health",  # здравоохранение
    "social",  # социальная защита
    "culture_sport",  # культура и спорт
    "ecology",  # экология
    "safety",  # безопасность
    "economy",  # экономика
    "property",  # муниципальная собственность
    "construction",  # строительство
    "other",  # прочее
)
