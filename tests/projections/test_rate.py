"""The rate `projections` shows: events per second over the last seconds of work."""

from projections.rate import Rate


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_no_rate_before_two_samples_apart_in_time() -> None:
    clock = Clock()
    rate = Rate(clock)
    assert rate.observe(10) is None
    assert rate.observe(20) is None


def test_the_rate_spans_the_window_and_follows_a_change_of_pace() -> None:
    clock = Clock()
    rate = Rate(clock, window=5.0)
    rate.observe(0)
    for second in range(1, 6):
        clock.now += 1
        assert rate.observe(1000 * second) == 1000.0
    for second in range(1, 11):
        clock.now += 1
        slower = rate.observe(5000 + 100 * second)
    # Five seconds at 100 events/s: the fast start has left the window.
    assert slower == 100.0
