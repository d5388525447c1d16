"""GIVEN response centres in the tenant file THEN both sides must agree (a centre lists exactly the
tenants that name it), and the roles a centre's API knows never reach a tenant that did not name it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args

import pytest

from dho.centre.roles import Role
from infra.config import CentreRole, ConfigError, TenantRole, load_config
from tests.infra.test_tenant_config import write_variant


def test_each_demo_tenant_names_a_centre_that_lists_it() -> None:
    config = load_config()

    for centre in config.centres:
        assert all(t.centre == centre.centre_id for t in config.served_tenants(centre))
    assert {t.tenant_id: t.centre for t in config.tenants} == {"bodo": "salten", "sunnfjord": "sunnfjord-oppfolging"}


def test_the_config_roles_are_the_services_roles() -> None:
    assert {*get_args(CentreRole), *get_args(TenantRole)} == {r.value for r in Role}


def test_a_centre_listing_a_tenant_that_names_another_centre_is_refused(tmp_path: Path) -> None:
    path = write_variant(tmp_path, ('tenants = ["bodo"]', 'tenants = ["bodo", "sunnfjord"]'))

    with pytest.raises(ConfigError, match=r"centre 'salten' lists tenant 'sunnfjord', but that tenant names "
                                          r"'sunnfjord-oppfolging'"):
        load_config(path)


def test_a_tenant_naming_a_centre_that_does_not_list_it_is_refused(tmp_path: Path) -> None:
    path = write_variant(tmp_path, ('centre = "sunnfjord-oppfolging"', 'centre = "salten"'))

    with pytest.raises(ConfigError, match=r"lists tenant 'sunnfjord', but that tenant names 'salten'"
                                          r"|tenant 'sunnfjord' names centre 'salten', which does not list it"):
        load_config(path)


def test_a_centre_listing_an_unknown_tenant_is_refused(tmp_path: Path) -> None:
    path = write_variant(tmp_path, ('tenants = ["bodo"]', 'tenants = ["bodo", "fauske"]'))

    with pytest.raises(ConfigError, match=r"centre 'salten' lists tenant 'fauske', which does not exist"):
        load_config(path)


def test_a_tenant_naming_an_unknown_centre_is_refused(tmp_path: Path) -> None:
    salten = '[[centres]]\ncentre_id = "salten"\nname = "Helsehjelpa (Salten)"\ntenants = ["bodo"]\n'
    path = write_variant(tmp_path, (salten, ""), ('  hpr = "9100001"\n  role = "centre_nurse"\n', ""),
                         ("[[centres.staff]]\n\n", ""))

    with pytest.raises(ConfigError, match=r"tenant 'bodo' names centre 'salten', which does not exist"):
        load_config(path)


def test_a_hospital_nurse_without_the_hospitals_organisation_names_tenant_and_field(tmp_path: Path) -> None:
    path = write_variant(tmp_path, ('  organisation = "999000001"\n', ""))

    with pytest.raises(ConfigError, match=r"tenant 'bodo': staff\[1\]: organisation is given for a hospital_nurse"):
        load_config(path)


def test_a_person_listed_twice_in_one_place_is_refused(tmp_path: Path) -> None:
    path = write_variant(tmp_path, ('subject = "demo-bodo-admin"', 'subject = "demo-bodo-privacy-officer"'))

    with pytest.raises(ConfigError, match=re.escape("staff lists ['sub:demo-bodo-privacy-officer'] twice")):
        load_config(path)


def test_a_staff_entry_needs_exactly_one_key(tmp_path: Path) -> None:
    path = write_variant(tmp_path, ('  hpr = "9100101"\n', '  hpr = "9100101"\n  subject = "gp-sub"\n'))

    with pytest.raises(ConfigError, match=r"tenant 'bodo': staff\[0\]: give exactly one of hpr and subject"):
        load_config(path)


def test_a_centres_roles_name_only_the_tenants_that_named_it() -> None:
    config = load_config()
    for centre in config.centres:
        assignments = config.staff_assignments(centre)
        named = {t for entries in assignments.values() for entry in entries for t in entry["tenants"]}
        assert named <= set(centre.tenants)
    salten = config.staff_assignments(config.centres[0])
    assert salten["hpr:9100001"] == [{"role": "centre_nurse", "tenants": ["bodo"]}]
    assert salten["hpr:9100201"] == [{"role": "hospital_nurse", "tenants": ["bodo"], "organisation": "999000001"}]
    assert "hpr:9200101" not in salten  # Sunnfjord's GP: Sunnfjord did not name salten
