"""Plan versions on DynamoDB (moto server): every version kept, the newest is current."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dho.adapters.dynamodb_plans import DynamoDbPlans, PlanVersionConflict
from dho.adapters.memory_plans import MemoryPlans
from dho.domain.plans import Programme, plan_from_template, revise

pytestmark = pytest.mark.integration
AT = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture(params=["dynamodb", "memory"])
def plan_store(request: pytest.FixtureRequest) -> DynamoDbPlans | MemoryPlans:
    """The DynamoDB adapter, and the replay's in-memory plans held to the same contract."""
    if request.param == "memory":
        return MemoryPlans()
    return DynamoDbPlans(request.getfixturevalue("dynamodb"), request.getfixturevalue("tenant_table"))


def test_the_newest_saved_version_is_current_and_a_skipped_version_is_refused(
    plan_store: DynamoDbPlans | MemoryPlans
) -> None:
    plans = plan_store
    first = plan_from_template("P-A", Programme.HEART_FAILURE, AT)
    assert plans.current("P-A") is None
    plans.save(first)
    second = revise(first, changed_by="9144900", at=AT, note="dry weight 78 kg")
    plans.save(second)
    assert plans.current("P-A") == second
    with pytest.raises(PlanVersionConflict):
        plans.save(second)  # the same version again: someone else saved first
    with pytest.raises(PlanVersionConflict):
        plans.save(revise(second, changed_by="x", at=AT, note="n").model_copy(update={"version": 5}))


def test_the_versions_come_newest_first_up_to_the_limit(plan_store: DynamoDbPlans | MemoryPlans) -> None:
    plans = plan_store
    plan = plan_from_template("P-V", Programme.COPD, AT)
    plans.save(plan)
    for n in range(1, 4):
        plan = revise(plan, changed_by="9144900", at=AT, note=f"change {n}")
        plans.save(plan)

    assert [p.version for p in plans.versions_of("P-V", limit=10)] == [4, 3, 2, 1]
    assert [p.change_note for p in plans.versions_of("P-V", limit=2)] == ["change 3", "change 2"]
    assert plans.versions_of("P-NONE", limit=5) == []
