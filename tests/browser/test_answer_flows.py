"""The answer flows end to end in a real headless Chromium (issue 5, «Browser tests»).

Each person logs in through the login form and clicks through the incident card as they would:
- social networks (Регламент Октябрьского района §2.4–2.5): ИМ operator assigns → sector owner
  takes, drafts and submits → sector curator approves → МЦУ head approves → ИМ operator
  publishes → the card shows the incident answered on time;
- ПОС fast-track: the ПОС operator registers a phoned-in message by hand with the fast-track
  flag → it is routed by the рубрикатор with a 10-day term → the sector owner answers, the
  curator approves, the owner publishes on the platform.
Screenshots of the dashboard, the list and the card go to ``tests/artifacts/`` (git-ignored;
CI keeps them as artifacts).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from incidents.models import Incident, Status
from incidents.tests.factories import UNMAPPED_TOPIC, Staff, make_incident, oktyabrsky_staff
from mcu.models import Municipality
from mcu.tenancy import municipality_scope
from roles.models import Channel, User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
PASSWORD = "pass-Секрет-123"  # conftest's make_user default


class _Null:
    def write(self, *_: object) -> None:
        pass


@pytest.fixture
def staff(live_server, make_user: Callable[..., User]) -> Staff:
    call_command("seed", verbosity=0, stdout=_Null())
    municipality = Municipality.objects.get(slug="oktyabrsky")
    with municipality_scope(municipality.pk):
        staff = oktyabrsky_staff(municipality, make_user)
    # The act's named chairs get a known password for the login form.
    for user in (staff.head, staff.im_operator, staff.pos_operator):
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    return staff


@pytest.fixture
def as_user(browser_page, live_server) -> Callable[[User], None]:
    page = browser_page

    def login(user: User) -> None:
        page.context.clear_cookies()
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=username]", user.username)
        page.fill("input[name=password]", PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_load_state("networkidle")
        assert "/accounts/login/" not in page.url, page.content()[:500]

    return login


def open_card(page, live_server, incident: Incident) -> None:
    page.goto(f"{live_server.url}/m/oktyabrsky/incidents/{incident.pk}/")


def do(page, action: str, fill: dict[str, str] | None = None, select: dict[str, str] | None = None):
    """Open the action's panel on the card, fill it in, submit, wait for the result."""
    panel = page.locator(f"#act-{action}")
    if panel.get_attribute("open") is None:
        panel.locator("summary").click()
    for name, value in (fill or {}).items():
        panel.locator(f"[name={name}]").fill(value)
    for name, label in (select or {}).items():
        panel.locator(f"select[name={name}]").select_option(label=label)
    # htmx swaps <main> in place (or the browser navigates): wait for a new <main>.
    page.evaluate("document.querySelector('main').dataset.stale = '1'")
    with page.expect_response(re.compile(rf"/act/{action}/$")) as response:
        panel.locator("button[type=submit]").click()
    assert response.value.status in (200, 302, 303), response.value.status
    page.wait_for_function("() => !document.querySelector('main').dataset.stale")
    errors = page.locator("main .errors, main .messages li.error")
    assert errors.count() == 0, errors.all_inner_texts()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def current(incident: Incident) -> Incident:
    with municipality_scope(incident.municipality_id):
        return Incident.objects.get(pk=incident.pk)


def test_social_network_answer_flow(staff: Staff, browser_page, as_user, live_server):
    page = browser_page
    incident = make_incident(
        staff.municipality,
        channel=Channel.IM,
        topic_code=UNMAPPED_TOPIC,
        text="Во дворе дома 12 по ул. Мира огромная яма, заливает водой.",
        received_at=timezone.now() - timedelta(minutes=20),
    )
    assert incident.status == Status.NEW

    as_user(staff.im_operator)
    page.goto(f"{live_server.url}/m/oktyabrsky/")
    shot(page, "dashboard")
    open_card(page, live_server, incident)
    assert page.locator("[data-countdown]").inner_text().startswith("осталось")
    do(page, "assign", select={"sector": "Дороги"})
    assert "Ответственный назначен." in page.content()

    as_user(staff.sector_owner)
    page.goto(f"{live_server.url}/m/oktyabrsky/tasks/")
    page.click(f"a[href='/m/oktyabrsky/incidents/{incident.pk}/']")
    do(page, "take")
    do(page, "draft", fill={"text": "Яму во дворе дома 12 засыплют до пятницы."})
    assert "Черновик ответа сохранён." in page.content(), page.locator("main").inner_text()[:1500]
    do(page, "submit")

    as_user(staff.sector_curator)
    open_card(page, live_server, incident)
    do(page, "approve", fill={"comment": "Согласовано"})

    as_user(staff.head)
    open_card(page, live_server, incident)
    do(page, "approve")
    assert current(incident).status == Status.APPROVED

    as_user(staff.im_operator)
    open_card(page, live_server, incident)
    do(page, "publish")
    assert "Ответ опубликован." in page.content()
    deadline = page.locator(".deadline").inner_text()
    assert "в срок" in deadline
    shot(page, "incident-card")
    done = current(incident)
    assert done.status == Status.ANSWERED
    assert done.answered_late is False

    page.goto(f"{live_server.url}/m/oktyabrsky/incidents/")
    if page.locator("table").count():
        shot(page, "incident-list")


def test_pos_fast_track_flow(staff: Staff, browser_page, as_user, live_server):
    page = browser_page
    as_user(staff.pos_operator)
    page.goto(f"{live_server.url}/m/oktyabrsky/incidents/new/")
    page.select_option("select[name=channel]", value=Channel.POS)
    page.fill("textarea[name=text]", "Звонок: на ул. Ленина у дома 5 яма на дороге.")
    page.select_option("select[name=topic]", label="Ямы и разрушение покрытия")
    page.check("input[name=fast_track]")
    page.fill("input[name=citizen_name]", "Петров Пётр Петрович")
    page.click("main form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "Сообщение зарегистрировано" in page.content()
    with municipality_scope(staff.municipality.pk):
        incident = Incident.objects.get(municipality=staff.municipality, channel=Channel.POS)
    assert incident.fast_track is True
    assert incident.sector_id == staff.roads.pk
    local_received = incident.received_at.astimezone(staff.municipality.tz).date()
    assert incident.due_at is not None
    assert (
        incident.due_at.astimezone(staff.municipality.tz).date()
        == local_received + timedelta(days=11)  # 24:00 of day 10 = 00:00 of day 11
    )
    assert "фаст-трек" in page.locator("h1").inner_text()

    as_user(staff.sector_owner)
    open_card(page, live_server, incident)
    do(page, "take")
    do(page, "draft", fill={"text": "Ремонт покрытия у дома 5 выполнен."})
    do(page, "submit")
    as_user(staff.sector_curator)
    open_card(page, live_server, incident)
    do(page, "approve")
    as_user(staff.sector_owner)
    open_card(page, live_server, incident)
    do(page, "publish")
    assert current(incident).status == Status.ANSWERED
    assert "в срок" in page.locator(".deadline").inner_text()


@pytest.fixture
def browser_page(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop on this thread; the test's own ORM calls are
    # still synchronous, so Django's async-safety guard must stand aside here.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=_chromium(),
            args=["--headless=new", "--no-sandbox", "--disable-dev-shm-usage"],
        )
        context = browser.new_context(locale="ru-RU", viewport={"width": 1366, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            context.close()
            browser.close()


def _chromium() -> str:
    for candidate in ("/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if Path(candidate).exists():
            return candidate
    raise RuntimeError("Debian chromium is required for browser tests (apt-get install chromium)")
