"""Every page in the app's navigation, opened by every role: the page runs for a role that has its
permission and refuses one that has not (the menu hides it too; this is the page's own guard).
The page list comes from ui.navigation.PAGES, so a new page is covered without editing this test."""

from __future__ import annotations

import pytest

from ui.navigation import PAGES, pages_for

ROLES = ["ho", "admin_sam", "kabeng_sam", "sa_sam"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("spec", PAGES, ids=[p.url_path for p in PAGES])
def test_every_page_opens_for_the_roles_that_may_and_refuses_the_others(world, run_page, spec, role):
    viewer = getattr(world, role)
    at = run_page(spec.path, viewer)
    assert not at.exception, [e.value for e in at.exception]
    refused = any("tidak berhak" in e.value for e in at.error)
    assert refused == (not viewer.can(spec.perm))


def test_the_menu_of_each_role(world):
    def menu(viewer):
        return {p.title for p in pages_for(viewer)}

    everyone = {"Hari ini", "Beranda", "Leads & Opportunity", "Form Lead", "Booking Service"}
    assert everyone | {"Laporan CRM", "Master Data"} <= menu(world.ho)
    assert "Master Data" not in menu(world.admin_sam) and everyone <= menu(world.admin_sam)
    assert "Master Data" not in menu(world.kabeng_sam) and "Laporan CRM" in menu(world.kabeng_sam)
    assert "Master Data" not in menu(world.sa_sam) and "Laporan CRM" not in menu(world.sa_sam)
