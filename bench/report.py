"""Figures as the benchmarks print them: one named number a line."""

Figures = dict[str, float]


def show(figures: Figures) -> None:
    width = max(len(name) for name in figures)
    for name, value in figures.items():
        print(f"{name:<{width}}  {value:,.2f}")
