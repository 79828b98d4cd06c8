"""Keyset pages: every row exactly once, in order, forwards and back, ties and empty terms."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from incidents.listing.selectors import (
    SORTS,
    Cursor,
    incident_list_base,
    keyset_page,
)
from incidents.listing.tests.helpers import raw_incidents
from incidents.models import Incident
from mcu.tenancy import municipality_scope

T0 = datetime(2026, 11, 23, 5, 15, tzinfo=UTC)


@pytest.fixture
def rows(municipality):
    """11 incidents with ties on every field (several share one instant) and 3 with no term."""
    created = raw_incidents(municipality, 11, start=T0)
    with municipality_scope(municipality.pk):
        for index, row in enumerate(created):
            Incident.objects.filter(pk=row.pk).update(
                received_at=T0 - timedelta(minutes=index // 3),  # groups of three equal values
                due_at=None if index % 4 == 1 else T0 + timedelta(hours=index % 3),
            )
        return list(Incident.objects.filter(municipality=municipality))


def expected_order(rows, key):
    sort = SORTS[key]
    with_value = [r for r in rows if getattr(r, sort.field) is not None]
    without = [r for r in rows if getattr(r, sort.field) is None]
    with_value.sort(key=lambda r: (getattr(r, sort.field), r.pk), reverse=sort.descending)
    without.sort(key=lambda r: r.pk, reverse=sort.descending)
    return [r.pk for r in with_value + without]


def walk(municipality, key, size):
    sort = SORTS[key]
    with municipality_scope(municipality.pk):
        qs = incident_list_base(municipality=municipality)
        pages = [keyset_page(qs, sort=sort, cursor=None, size=size)]
        while pages[-1].next_cursor is not None:
            pages.append(keyset_page(qs, sort=sort, cursor=pages[-1].next_cursor, size=size))
            assert len(pages) < 50
        back = [pages[-1]]
        while back[-1].previous_cursor is not None:
            back.append(keyset_page(qs, sort=sort, cursor=back[-1].previous_cursor, size=size))
            assert len(back) < 50
    return pages, back


@pytest.mark.parametrize("key", list(SORTS))
@pytest.mark.parametrize("size", [1, 3, 4, 11, 50])
def test_pages_cover_every_row_once_in_order_both_ways(municipality, rows, key, size):
    pages, back = walk(municipality, key, size)
    forward_ids = [row.pk for page in pages for row in page.rows]
    assert forward_ids == expected_order(rows, key)
    assert all(len(page.rows) == size for page in pages[:-1])
    # Going back from the last page retraces exactly the same pages.
    assert [[r.pk for r in p.rows] for p in reversed(back)] == [
        [r.pk for r in p.rows] for p in pages
    ]
    assert pages[0].previous_cursor is None


def test_cursor_round_trip_and_rejections():
    sort = SORTS["due"]
    cursor = Cursor("due", False, T0, 42)
    assert Cursor.decode(cursor.encode(), sort=sort) == cursor
    null_cursor = Cursor("due", True, None, 7)
    assert Cursor.decode(null_cursor.encode(), sort=sort) == null_cursor
    # Made for another order, or with no value where the order has no empty values: ignored.
    assert Cursor.decode(cursor.encode(), sort=SORTS["-due"]) is None
    assert (
        Cursor.decode(Cursor("-received", False, None, 1).encode(), sort=SORTS["-received"]) is None
    )
    for token in ("", "%%%", "bnVsbA", "WzEsMiwzXQ", "A" * 201):
        assert Cursor.decode(token, sort=sort) is None
    naive = Cursor("due", False, T0.replace(tzinfo=None), 1).encode()
    assert Cursor.decode(naive, sort=sort) is None


def test_a_cursor_before_the_first_row_shows_the_first_page(municipality, rows):
    sort = SORTS["-received"]
    with municipality_scope(municipality.pk):
        qs = incident_list_base(municipality=municipality)
        newest = max(rows, key=lambda r: (r.received_at, r.pk))
        page = keyset_page(
            qs, sort=sort, cursor=Cursor("-received", True, newest.received_at, newest.pk), size=3
        )
    assert [r.pk for r in page.rows] == expected_order(rows, "-received")[:3]
    assert page.previous_cursor is None


def test_other_municipality_rows_never_enter_a_page(municipality, other_municipality, rows):
    raw_incidents(other_municipality, 5, start=T0)
    pages, _back = walk(municipality, "-received", 4)
    assert {row.municipality_id for page in pages for row in page.rows} == {municipality.pk}
