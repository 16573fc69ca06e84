from sqlalchemy import select

from db.models import Customer


def test_world_builds_and_scoping_hides_the_other_branch(world):
    with world.db.session(world.admin_sam.branch_ids) as s:
        names = set(s.scalars(select(Customer.name)))
    assert names == {"RESTU ANDIKA PRADANA PUTRA"}
