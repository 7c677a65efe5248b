"""Metrics: the Prometheus text exposition format, rendered from one per-app registry."""

from __future__ import annotations

import re

import pytest

from contact_center.http.metrics import Metrics

SAMPLE = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\})? -?[0-9.e+Inf-]+$')


def _assert_exposition_format(text: str) -> None:
    assert text.endswith("\n")
    for line in text.splitlines():
        if not line:
            continue  # the format ignores empty lines (an empty registry renders one)
        if line.startswith("#"):
            assert re.match(r"^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+$", line), line
        else:
            assert SAMPLE.match(line), line


def test_counters_with_sorted_labels_and_help() -> None:
    """Counters render HELP/TYPE once, then one sample per label set, labels sorted by name."""
    m = Metrics()
    m.describe("cc_calls_total", "counter", "Calls seen")
    m.inc("cc_calls_total", direction="in", pbx="office")
    m.inc("cc_calls_total", 2, pbx="office", direction="in")
    m.inc("cc_calls_total", direction="out", pbx="office")
    text = m.render()
    _assert_exposition_format(text)
    assert text.splitlines() == [
        "# HELP cc_calls_total Calls seen",
        "# TYPE cc_calls_total counter",
        'cc_calls_total{direction="in",pbx="office"} 3',
        'cc_calls_total{direction="out",pbx="office"} 1',
    ]


def test_gauge_set_replaces_and_undescribed_is_untyped() -> None:
    """set() overwrites a gauge; a metric never described renders as untyped."""
    m = Metrics()
    m.describe("cc_agents_available", "gauge", "Agents available")
    m.set("cc_agents_available", 5)
    m.set("cc_agents_available", 3)
    m.inc("cc_adhoc")
    text = m.render()
    _assert_exposition_format(text)
    assert "cc_agents_available 3\n" in text
    assert "# TYPE cc_adhoc untyped\n" in text


def test_label_values_are_escaped() -> None:
    """Quotes, backslashes and newlines in label values are escaped."""
    m = Metrics()
    m.inc("cc_x", route='say "hi"\\\n')
    line = m.render().splitlines()[-1]
    assert line == 'cc_x{route="say \\"hi\\"\\\\\\n"} 1'
    _assert_exposition_format(m.render())


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([0.1], {"0.05": 0, "0.1": 1, "0.5": 1, "+Inf": 1}),  # a value on a bound counts in that bucket
        ([0.02, 0.3, 9.0], {"0.05": 1, "0.1": 1, "0.5": 2, "+Inf": 3}),
        ([], {}),
    ],
)
def test_histogram_buckets_are_cumulative(values: list[float], expected: dict[str, int]) -> None:
    """Histogram buckets are cumulative; +Inf equals _count; _sum adds the observations."""
    m = Metrics()
    m.describe("cc_latency_seconds", "histogram", "Latency", buckets=(0.05, 0.1, 0.5))
    for v in values:
        m.observe("cc_latency_seconds", v, route="/x")
    text = m.render()
    _assert_exposition_format(text)
    buckets = dict(re.findall(r'cc_latency_seconds_bucket\{le="([^"]+)",route="/x"\} (\S+)', text))
    buckets.update(dict(re.findall(r'cc_latency_seconds_bucket\{route="/x",le="([^"]+)"\} (\S+)', text)))
    assert {k: int(float(v)) for k, v in buckets.items()} == expected
    if values:
        assert f'cc_latency_seconds_count{{route="/x"}} {len(values)}' in text
        total = float(re.search(r'cc_latency_seconds_sum\{route="/x"\} (\S+)', text).group(1))  # type: ignore[union-attr]
        assert total == pytest.approx(sum(values))


def test_registries_are_independent() -> None:
    """Two apps in one process never share metrics (no global registry)."""
    a, b = Metrics(), Metrics()
    a.inc("cc_only_in_a")
    assert "cc_only_in_a" not in b.render()
