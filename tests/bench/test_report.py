"""The benchmarks' statistics: percentiles are samples, never beyond the largest one."""

import pytest

from bench.report import percentile

SAMPLES = [5.0, 1.0, 4.0, 2.0, 3.0]


@pytest.mark.parametrize(("percent", "expected"), [(0, 1.0), (20, 1.0), (50, 3.0), (99, 5.0), (100, 5.0)])
def test_a_percentile_is_the_nearest_ranked_sample(percent: float, expected: float) -> None:
    assert percentile(SAMPLES, percent) == expected


def test_a_high_percentile_of_few_samples_is_never_above_their_maximum() -> None:
    samples = [0.01 * n for n in range(1, 31)]
    assert percentile(samples, 99) == max(samples)
