"""Which term applies, and the due times it gives (the pure arithmetic is in deadlines.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Q

from incidents import deadlines
from incidents.models import Incident, SlaPolicy, Topic


@dataclass(frozen=True)
class Terms:
    policy: SlaPolicy | None
    due_at: datetime | None
    warn_at: datetime | None


def policy_for(
    *, municipality_id: int, channel: str, fast_track: bool, topic: Topic | None, stage: str
) -> SlaPolicy | None:
    """The most specific policy: the topic's own, then its parent's, then the channel's.

    A fast-track message with no fast-track policy falls back to the channel's normal term.
    """
    topic_ids = [t for t in (topic.pk if topic else None, topic.parent_id if topic else None) if t]
    candidates = list(
        SlaPolicy.objects.filter(
            Q(topic__isnull=True) | Q(topic_id__in=topic_ids),
            municipality_id=municipality_id,
            channel=channel,
            stage=stage,
            fast_track__in=[fast_track, False],
        )
    )

    def rank(policy: SlaPolicy) -> tuple[int, int]:
        topic_rank = (
            0 if policy.topic_id is None else (2 if topic and policy.topic_id == topic.pk else 1)
        )
        return (int(policy.fast_track == fast_track), topic_rank)

    return max(candidates, key=rank, default=None)


def terms_from(*, policy: SlaPolicy | None, start: datetime, tz: ZoneInfo) -> Terms:
    if policy is None:
        return Terms(None, None, None)
    rule = deadlines.DeadlineRule(policy.amount, deadlines.Unit(policy.unit), policy.move_off_day)
    due = deadlines.due_at(start=start, rule=rule, tz=tz)
    return Terms(
        policy, due, deadlines.warn_at(due=due, start=start, warn_before=policy.warn_before)
    )


def answer_terms(incident: Incident, *, start: datetime) -> Terms:
    policy = policy_for(
        municipality_id=incident.municipality_id,
        channel=incident.channel,
        fast_track=incident.fast_track,
        topic=incident.topic,
        stage=SlaPolicy.Stage.ANSWER,
    )
    return terms_from(policy=policy, start=start, tz=incident.municipality.tz)


def stage_terms(incident: Incident, *, stage: str, start: datetime) -> Terms:
    policy = policy_for(
        municipality_id=incident.municipality_id,
        channel=incident.channel,
        fast_track=incident.fast_track,
        topic=incident.topic,
        stage=stage,
    )
    return terms_from(policy=policy, start=start, tz=incident.municipality.tz)


def escalation_step(policy: SlaPolicy | None) -> timedelta:
    """How long each rung of the escalation ladder waits after the previous one.

    Hour terms escalate hourly; day terms daily — the next official hears about it while the
    answer is still worth giving.
    """
    if policy is not None and policy.unit == deadlines.Unit.HOURS.value:
        return timedelta(hours=1)
    return timedelta(days=1)
