"""Figures as the benchmarks print them, one named number a line, and their command lines."""

import argparse
import math
from collections.abc import Sequence

Figures = dict[str, float]


def percentile(samples: Sequence[float], percent: float) -> float:
    """The nearest-rank percentile: always one of the samples, so never above the largest (statistics'
    default `exclusive` method extrapolates past it when there are fewer than 100 samples)."""
    ordered = sorted(samples)
    return ordered[max(math.ceil(percent / 100 * len(ordered)) - 1, 0)]


def show(figures: Figures) -> None:
    width = max(len(name) for name in figures)
    for name, value in figures.items():
        print(f"{name:<{width}}  {value:,.2f}")


def arguments(description: str | None) -> argparse.ArgumentParser:
    """A benchmark's command line, its module docstring as the help text."""
    return argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
