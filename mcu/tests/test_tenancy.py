"""The municipality scope fails closed; the named escape hatch is the only way around it."""

from __future__ import annotations

import pytest

from mcu.models import Municipality
from mcu.tenancy import (
    TenantScopeMissing,
    WrongMunicipality,
    current_scope,
    dangerously_unscoped,
    municipality_scope,
)
from roles.models import OrgUnit, RoleAssignment, Sector


@pytest.mark.django_db
class TestScopeFailsClosed:
    def test_query_without_scope_raises(self, seeded):
        assert current_scope() is None
        with pytest.raises(TenantScopeMissing, match="Sector: no municipality scope"):
            list(Sector.objects.all())
        with pytest.raises(TenantScopeMissing):
            RoleAssignment.objects.count()
        with pytest.raises(TenantScopeMissing):
            OrgUnit.objects.filter(code="administration").exists()

    def test_base_manager_is_scoped_too(self, seeded):
        # Django's own lookups (following a foreign key, refresh_from_db) go through the base
        # manager; it must not be a back door around the scope.
        with pytest.raises(TenantScopeMissing):
            list(Sector._base_manager.all())

    def test_following_a_foreign_key_needs_a_scope(self, municipality):
        with municipality_scope(municipality.pk):
            row = RoleAssignment.objects.filter(sector__isnull=False).first()
        assert row is None  # Октябрьский's sector rows name groups, with no block
        lensky = Municipality.objects.get(slug="lensky")
        with municipality_scope(lensky.pk):
            row = RoleAssignment.objects.filter(sector__isnull=False).first()
        assert row is not None
        with pytest.raises(TenantScopeMissing):
            _ = row.sector

    def test_scope_filters_to_its_municipality(self, municipality, other_municipality):
        with municipality_scope(municipality.pk):
            codes = set(Sector.objects.values_list("code", flat=True))
            assert set(Sector.objects.values_list("municipality_id", flat=True)) == {
                municipality.pk
            }
        with municipality_scope(other_municipality.pk):
            other_codes = set(Sector.objects.values_list("code", flat=True))
        assert codes == {
            "zhkh_energy",
            "waste",
            "roads",
            "transport",
            "social_policy",
            "improvement",
            "economy_finance",
            "property",
        }
        assert other_codes == {"production", "social"}

    def test_escape_hatch_is_the_only_way_across(self, seeded):
        with dangerously_unscoped(reason="test: count across all tenants") as scope:
            assert scope.reason == "test: count across all tenants"
            assert Sector.objects.count() == 17  # 8 Октябрьский + 7 Сосновоборский + 2 Ленский
        with pytest.raises(ValueError, match="reason"), dangerously_unscoped(reason="  "):
            pass

    def test_scope_is_restored_after_the_block(self, municipality):
        with municipality_scope(municipality.pk):
            with dangerously_unscoped(reason="nested"):
                assert current_scope() is not None
            scope = current_scope()
            assert scope is not None
            assert scope.municipality_ids == frozenset({municipality.pk})
        assert current_scope() is None

    def test_cannot_write_a_row_of_another_municipality(self, municipality, other_municipality):
        with municipality_scope(municipality.pk):
            with pytest.raises(WrongMunicipality):
                Sector.objects.create(municipality=other_municipality, code="x", name="x")
            with pytest.raises(WrongMunicipality):
                Sector.objects.bulk_create(
                    [Sector(municipality=other_municipality, code="y", name="y")]
                )
        with dangerously_unscoped(reason="test: check nothing was written"):
            assert not Sector.objects.filter(code__in=["x", "y"]).exists()

    def test_write_without_scope_raises(self, municipality):
        with pytest.raises(TenantScopeMissing):
            Sector(municipality=municipality, code="z", name="z").save()
