"""The wallboard's chart data: how many contacts waited, over the last hour.

Routing publishes a coalesced ``queue_snapshot`` (``SupervisorsNotified``) at most once a second
and only while something changes; each instance keeps the waiting totals of those frames for an
hour so a wallboard opened now can draw the past hour at once. Between two frames the count did
not change, so the series is a step function. Pure except for :meth:`WaitingHistory.listener`.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from contact_center.events import SupervisorsNotified

WINDOW_SECONDS = 3600.0
BUCKET_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class Sample:
    """Contacts waiting (and on offer) at one moment, in total and per channel."""

    at: float
    waiting: int
    by_channel: tuple[tuple[str, int], ...] = ()

    def to_list(self) -> list[Any]:
        return [round(self.at, 1), self.waiting, dict(self.by_channel)]


def sample_of(frame: dict[str, Any]) -> Sample | None:
    """The sample a ``queue_snapshot`` frame gives, or ``None`` for any other frame."""
    if frame.get("type") != "queue_snapshot" or not isinstance(frame.get("at"), int | float):
        return None
    channels: dict[str, int] = {}
    for row in frame.get("queues") or ():
        count = int(row.get("waiting") or 0) + int(row.get("offered") or 0)
        channels[str(row.get("channel"))] = channels.get(str(row.get("channel")), 0) + count
    return Sample(float(frame["at"]), sum(channels.values()), tuple(sorted(channels.items())))


def downsample(samples: list[Sample], *, now: float, window: float = WINDOW_SECONDS,
               bucket: float = BUCKET_SECONDS) -> list[Sample]:
    """At most one sample per *bucket* seconds inside the last *window*: the bucket's peak.

    The peak (not the mean) is kept so a short burst of waiting contacts stays visible.
    """
    start = now - window
    peaks: dict[int, Sample] = {}
    for s in samples:
        if s.at < start or s.at > now:
            continue
        key = math.floor((s.at - start) / bucket)
        best = peaks.get(key)
        if best is None or s.waiting > best.waiting:
            peaks[key] = s
    return [peaks[k] for k in sorted(peaks)]


class WaitingHistory:
    """The last hour of samples on this instance (bounded: one per bucket at most after trimming)."""

    def __init__(self, *, window: float = WINDOW_SECONDS, bucket: float = BUCKET_SECONDS) -> None:
        self.window = window
        self.bucket = bucket
        self._samples: deque[Sample] = deque()

    def add(self, sample: Sample) -> None:
        """Record *sample*; samples older than the window are dropped."""
        if self._samples and sample.at < self._samples[-1].at:
            return  # a late frame from another instance: the newer one already tells the story
        self._samples.append(sample)
        while self._samples and self._samples[0].at < sample.at - self.window:
            self._samples.popleft()
        if len(self._samples) > 4 * self.window / self.bucket:  # frames come at most once a second
            self._samples = deque(downsample(list(self._samples), now=sample.at, window=self.window,
                                             bucket=self.bucket / 4))

    def view(self, now: float) -> list[Sample]:
        """The last hour, one peak per bucket, plus the latest sample (the current value)."""
        samples = list(self._samples)
        points = downsample(samples, now=now, window=self.window, bucket=self.bucket)
        if samples and (not points or points[-1] is not samples[-1]) and samples[-1].at >= now - self.window:
            points.append(samples[-1])
        return points

    def listener(self) -> Callable[[SupervisorsNotified], Awaitable[None]]:
        """A bus handler that records every snapshot frame."""

        async def on_frame(event: SupervisorsNotified) -> None:
            sample = sample_of(event.frame)
            if sample is not None:
                self.add(sample)

        return on_frame
