"""A small Prometheus text-format registry, one per application (no process-global state)."""

from __future__ import annotations

import bisect
from collections import defaultdict

DEFAULT_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

Labels = tuple[tuple[str, str], ...]


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(labels: Labels, extra: str = "") -> str:
    parts = [f'{k}="{_escape(v)}"' for k, v in labels]
    if extra:
        parts.append(extra)
    return "{" + ",".join(parts) + "}" if parts else ""


class Metrics:
    """Counters, gauges and histograms keyed by name and labels; rendered by :meth:`render`."""

    def __init__(self) -> None:
        self._help: dict[str, tuple[str, str]] = {}
        self._values: dict[str, dict[Labels, float]] = defaultdict(dict)
        self._hist: dict[str, dict[Labels, list[float]]] = defaultdict(dict)
        self._buckets: dict[str, tuple[float, ...]] = {}

    def describe(self, name: str, kind: str, text: str, buckets: tuple[float, ...] = DEFAULT_BUCKETS) -> None:
        self._help[name] = (kind, text)
        if kind == "histogram":
            self._buckets[name] = buckets

    def inc(self, name: str, amount: float = 1.0, **labels: str) -> None:
        key = tuple(sorted(labels.items()))
        series = self._values[name]
        series[key] = series.get(key, 0.0) + amount

    def set(self, name: str, value: float, **labels: str) -> None:
        self._values[name][tuple(sorted(labels.items()))] = value

    def observe(self, name: str, value: float, **labels: str) -> None:
        buckets = self._buckets.setdefault(name, DEFAULT_BUCKETS)
        key = tuple(sorted(labels.items()))
        counts = self._hist[name].setdefault(key, [0.0] * (len(buckets) + 2))
        counts[bisect.bisect_left(buckets, value)] += 1
        counts[-1] += value

    def render(self) -> str:
        lines: list[str] = []
        for name in sorted(set(self._values) | set(self._hist)):
            kind, text = self._help.get(name, ("untyped", name))
            lines += [f"# HELP {name} {text}", f"# TYPE {name} {kind}"]
            for key, value in sorted(self._values.get(name, {}).items()):
                lines.append(f"{name}{_labels(key)} {value:g}")
            for key, counts in sorted(self._hist.get(name, {}).items()):
                running = 0.0
                for bound, count in zip(self._buckets[name], counts, strict=False):
                    running += count
                    le = f'le="{bound:g}"'
                    lines.append(f"{name}_bucket{_labels(key, le)} {running:g}")
                running += counts[-2]
                inf = 'le="+Inf"'
                lines.append(f"{name}_bucket{_labels(key, inf)} {running:g}")
                lines.append(f"{name}_count{_labels(key)} {running:g}")
                lines.append(f"{name}_sum{_labels(key)} {counts[-1]:g}")
        return "\n".join(lines) + "\n"
