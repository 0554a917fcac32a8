"""How projectors share the read models out between them: `deal`, which every projector computes
alike from the leases."""

from projections.projector import deal
from projections.read_models import BY_NAME

COSTS = {name: projection.cost for name, projection in BY_NAME.items()}


def test_one_projector_runs_every_read_model() -> None:
    assert deal(COSTS, ["a"]) == dict.fromkeys(COSTS, "a")


def test_two_projectors_get_about_the_same_cost() -> None:
    dealt = deal(COSTS, ["a", "b"])

    loads = {member: sum(COSTS[name] for name, owner in dealt.items() if owner == member) for member in "ab"}
    assert dealt.keys() == COSTS.keys()
    assert abs(loads["a"] - loads["b"]) <= max(COSTS.values())
    costliest = sorted(COSTS, key=COSTS.__getitem__)[-2:]
    assert {dealt[name] for name in costliest} == {"a", "b"}


def test_more_projectors_than_read_models_leave_some_idle_and_none_unrun() -> None:
    members = [f"p{n}" for n in range(len(COSTS) + 2)]

    dealt = deal(COSTS, members)

    assert dealt.keys() == COSTS.keys()
    assert len(set(dealt.values())) == len(COSTS)


def test_every_projector_deals_the_same_from_the_same_members() -> None:
    assert deal(COSTS, ["host:1", "host:2", "host:3"]) == deal(
        dict(reversed(COSTS.items())), ["host:1", "host:2", "host:3"]
    )
