"""The bell: unread count, the list, marking read — only one's own, only in this municipality."""

from __future__ import annotations

import pytest
from django.core import mail

from incidents.models import Notification
from incidents.services.common import notify
from incidents.services.notifications import notifications_email
from mcu.tenancy import municipality_scope
from roles.models import Role


def _notify(municipality, user, title):
    with municipality_scope(municipality.pk):
        return notify(municipality=municipality, users=[user], kind="test", title=title)[0]


def test_bell_counts_own_unread_in_this_municipality(
    municipality, other_municipality, make_user, login
):
    user = make_user(Role.HEAD, municipality)
    colleague = make_user(Role.CURATOR, municipality)
    _notify(municipality, user, "Первое")
    _notify(municipality, user, "Второе")
    _notify(municipality, colleague, "Чужое")
    client = login(user)
    response = client.get(f"/m/{municipality.slug}/notifications/")
    assert response.context["unread_notifications"] == 2
    titles = [n.title for n in response.context["notifications"]]
    assert titles == ["Второе", "Первое"]
    assert "Чужое" not in response.content.decode()


def test_mark_all_read_clears_the_bell(municipality, make_user, login):
    user = make_user(Role.HEAD, municipality)
    _notify(municipality, user, "Первое")
    client = login(user)
    response = client.post(f"/m/{municipality.slug}/notifications/read/", follow=True)
    assert response.context["unread_notifications"] == 0
    with municipality_scope(municipality.pk):
        assert Notification.objects.filter(user=user, read_at__isnull=True).count() == 0


@pytest.mark.django_db
def test_email_is_sent_once_and_only_to_users_with_an_address(municipality, make_user):
    user = make_user(Role.HEAD, municipality)
    user.email = "head@oktyabrsky.example.ru"
    user.save()
    silent = make_user(Role.CURATOR, municipality)
    first = _notify(municipality, user, "Срок истекает")
    second = _notify(municipality, silent, "Без почты")
    ids = [first.pk, second.pk]
    assert notifications_email(municipality_id=municipality.pk, notification_ids=ids) == 1
    assert notifications_email(municipality_id=municipality.pk, notification_ids=ids) == 0
    assert [m.to for m in mail.outbox] == [["head@oktyabrsky.example.ru"]]
    assert mail.outbox[0].subject == "[МЦУ] Срок истекает"


@pytest.mark.django_db
def test_a_deleted_user_takes_their_notifications_along(municipality, make_user):
    """Notifications keep no database constraint on their user (incidents/models.py,
    _APPEND_ONLY_FK): deleting a user through Django must still remove them, not orphan them."""
    from mcu.tenancy import dangerously_unscoped
    from roles.models import User

    user = User.objects.create_user(username="left-the-service")  # no roles: deletable
    keeper = make_user(Role.CURATOR, municipality)
    _notify(municipality, user, "Уйдёт вместе с пользователем")
    kept = _notify(municipality, keeper, "Останется")
    with dangerously_unscoped(reason="test: the cascade crosses no tenant, check all rows"):
        user.delete()
        assert list(Notification.objects.values_list("pk", flat=True)) == [kept.pk]


def test_the_bell_links_each_incident_of_a_grouped_notice(municipality, make_user, login):
    from incidents.tests.factories import make_incident

    user = make_user(Role.HEAD, municipality)
    first, second = make_incident(municipality), make_incident(municipality)
    with municipality_scope(municipality.pk):
        Notification.objects.create(
            municipality=municipality,
            user=user,
            kind="deadline_breach",
            title="Просрочены ответы по 2 инцидентам",
            body=f"Причина.\n№ {first.pk}: срок истёк\n№ {second.pk}: срок истёк",
            incident_ids=[first.pk, second.pk],
        )
        notify(municipality=municipality, users=[user], kind="test", title="Одно", incident=first)
    page = login(user).get(f"/m/{municipality.slug}/notifications/").content.decode()
    for incident in (first, second):
        assert f'href="/m/{municipality.slug}/incidents/{incident.pk}/"' in page
    assert "Причина." in page
