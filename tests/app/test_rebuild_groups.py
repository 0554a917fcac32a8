"""How `eventfold rebuild` deals read models out to its processes."""

import pytest

from app.rebuilding import groups
from projections.read_models import BY_NAME


def load(group: list[str]) -> int:
    return sum(BY_NAME[name].cost for name in group)


@pytest.mark.parametrize("processes", [1, 2, 3, 4, 8])
def test_every_read_model_is_built_once_and_the_groups_cost_about_the_same(processes: int) -> None:
    dealt = groups(list(BY_NAME), processes)

    assert sorted(name for group in dealt for name in group) == sorted(BY_NAME)
    assert len(dealt) == min(processes, len(BY_NAME))
    loads = [load(group) for group in dealt]
    # Greedy dealing, costliest first: no group exceeds another by more than one read model's cost.
    assert max(loads) - min(loads) <= max(projection.cost for projection in BY_NAME.values())
    # The CLI process takes the first group while the others start: the heaviest.
    assert loads[0] == max(loads)


def test_two_processes_split_the_two_costliest_read_models() -> None:
    costliest = sorted(BY_NAME, key=lambda name: BY_NAME[name].cost, reverse=True)[:2]

    first, second = groups(list(BY_NAME), 2)

    assert len(set(costliest) & set(first)) == 1
    assert len(set(costliest) & set(second)) == 1
