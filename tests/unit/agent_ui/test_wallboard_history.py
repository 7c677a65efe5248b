"""The wallboard chart's history: samples from snapshot frames, peaks per bucket, one hour kept."""

from __future__ import annotations

from typing import Any

import pytest

from agent_ui.wallboard_history import Sample, WaitingHistory, downsample, sample_of


def frame(at: float, *rows: tuple[str, int, int]) -> dict[str, Any]:
    """A queue_snapshot frame with (channel, waiting, offered) rows."""
    return {"type": "queue_snapshot", "at": at,
            "queues": [{"channel": c, "waiting": w, "offered": o} for c, w, o in rows]}


@pytest.mark.parametrize(("raw", "expected"), [
    (frame(10.0), Sample(10.0, 0, ())),
    (frame(10.0, ("call", 2, 1), ("email", 1, 0), ("call", 0, 1)), Sample(10.0, 5, (("call", 4), ("email", 1)))),
    ({"type": "offer", "at": 1.0}, None),
    ({"type": "queue_snapshot"}, None),
])
def test_sample_of_counts_waiting_and_offered_per_channel(raw: dict[str, Any], expected: Sample | None) -> None:
    """Waiting plus on-offer contacts are summed per channel; other frames give no sample."""
    assert sample_of(raw) == expected


def test_downsample_keeps_the_peak_of_each_bucket_inside_the_window() -> None:
    """A short burst survives downsampling; samples outside the window are dropped."""
    samples = [Sample(0.0, 9), Sample(3605.0, 1), Sample(3606.0, 7), Sample(3609.0, 2), Sample(3615.0, 3)]
    out = downsample(samples, now=3620.0, window=3600.0, bucket=10.0)
    assert [(s.at, s.waiting) for s in out] == [(3606.0, 7), (3615.0, 3)]


def test_history_trims_to_the_window_and_ignores_late_frames() -> None:
    """Old samples fall out, a frame older than the newest is ignored, and the view ends on the latest."""
    history = WaitingHistory(window=100.0, bucket=10.0)
    for at, waiting in ((0.0, 1), (50.0, 4), (51.0, 2), (160.0, 3)):
        history.add(Sample(at, waiting))
    history.add(Sample(120.0, 8))  # late: ignored
    view = history.view(now=161.0)
    assert [(s.at, s.waiting) for s in view] == [(160.0, 3)]
    history.add(Sample(161.0, 1))
    assert [(s.at, s.waiting) for s in history.view(now=162.0)] == [(160.0, 3), (161.0, 1)]


def test_history_stays_bounded_with_a_frame_every_second() -> None:
    """Two hours of one frame a second keep at most a bounded number of samples."""
    history = WaitingHistory(window=3600.0, bucket=10.0)
    for second in range(7200):
        history.add(Sample(float(second), second % 5))
    assert len(history._samples) <= 4 * 3600 / 10 + 1
    view = history.view(now=7199.0)
    assert len(view) <= 361
    assert view[-1].at == 7199.0
    assert max(s.waiting for s in view) == 4


def test_sample_to_list_is_the_wire_shape() -> None:
    """[at, waiting, {channel: n}] rounded for the REST answer."""
    assert Sample(12.3456, 3, (("chat", 1), ("email", 2))).to_list() == [12.3, 3, {"chat": 1, "email": 2}]
