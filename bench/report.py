"""Figures as the benchmarks print them, one named number a line, and their command lines."""

import argparse

Figures = dict[str, float]


def show(figures: Figures) -> None:
    width = max(len(name) for name in figures)
    for name, value in figures.items():
        print(f"{name:<{width}}  {value:,.2f}")


def arguments(description: str | None) -> argparse.ArgumentParser:
    """A benchmark's command line, its module docstring as the help text."""
    return argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
