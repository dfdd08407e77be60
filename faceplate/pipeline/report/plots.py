"""Plots over the whole shot as data for the page's SVG template: one line per track, broken
where the track has no face (or the frame no value), the threshold dashed, flagged frames
marked, frames with no face at all shaded."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from faceplate.pipeline.report.flags import DEFAULT_PLOTS, FLAGS, METRICS, Metric, threshold_text
from faceplate.spec import QCSpec

WIDTH, HEIGHT = 460, 150
_LEFT, _RIGHT, _TOP, _BOTTOM = 46, 10, 18, 22
_EVENT_LEFT = 150
_COLOURS = ("#5cc8ff", "#ffb347", "#b28dff", "#7ddf64", "#ff6f91")


@dataclass(frozen=True)
class Series:
    """One line: its label, colour, polylines (``x,y x,y ...``, one per unbroken run) and
    points standing alone (drawn as dots)."""

    label: str
    colour: str
    lines: list[str]
    dots: list[tuple[float, float]]


@dataclass(frozen=True)
class Mark:
    """A flagged frame on a plot."""

    frame: int
    x: float
    y: float
    text: str


@dataclass
class Plot:
    """One plot, in SVG user units (``WIDTH`` × ``HEIGHT``)."""

    key: str
    title: str
    series: list[Series] = field(default_factory=list)
    #: The dashed lines where flagging starts (their y), and what they say.
    thresholds: list[float] = field(default_factory=list)
    threshold_label: str = ""
    marks: list[Mark] = field(default_factory=list)
    shaded: list[tuple[float, float]] = field(default_factory=list)
    y_labels: list[tuple[float, str]] = field(default_factory=list)
    x_labels: list[tuple[float, str, str]] = field(default_factory=list)
    rows: list[tuple[float, str, list[tuple[float, int]]]] = field(default_factory=list)
    flagged: int = 0
    width: int = WIDTH
    height: int = HEIGHT
    left: int = _LEFT
    right: int = WIDTH - _RIGHT
    top: int = _TOP
    bottom: int = HEIGHT - _BOTTOM


def _tick(value: float) -> str:
    """An axis label: thousands grouped, small numbers to three significant digits."""
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}"


class _Axes:
    def __init__(self, frames: list[int], low: float, high: float, left: int = _LEFT) -> None:
        self.f0, self.f1, self.left = frames[0], frames[-1], left
        if high - low < 1e-12:
            low, high = max(low - 0.5, 0.0) if low >= 0 else low - 0.5, high + 0.5
        pad = (high - low) * 0.08
        # a metric that cannot be negative keeps its axis at zero or above
        self.low, self.high = (max(low - pad, 0.0) if low >= 0 else low - pad), high + pad

    def x(self, frame: float) -> float:
        span = max(self.f1 - self.f0, 1)
        return round(self.left + (frame - self.f0) / span * (WIDTH - self.left - _RIGHT), 1)

    def y(self, value: float) -> float:
        top, bottom = _TOP, HEIGHT - _BOTTOM
        return round(bottom - (value - self.low) / (self.high - self.low) * (bottom - top), 1)


def _x_labels(axes: _Axes, frames: list[int]) -> list[tuple[float, str, str]]:
    """First, middle and last frame, anchored so none runs off the plot."""
    picks = sorted({frames[0], frames[len(frames) // 2], frames[-1]})
    anchors = {frames[0]: "start", frames[-1]: "end"}
    return [(axes.x(f), str(f), anchors.get(f, "middle")) for f in picks]


def _shaded(axes: _Axes, frames: list[int], records: dict[int, dict[str, Any]]
            ) -> list[tuple[float, float]]:
    """Bands over frames with no face at all (or no record), each a frame wide."""
    half = (axes.x(frames[-1]) - axes.x(frames[0])) / max(len(frames) - 1, 1) / 2
    return [(round(axes.x(f) - half, 1), round(2 * half, 1)) for f in frames
            if not (records.get(f) or {}).get("faces")]


def _unmeasured(record: dict[str, Any], track: int | None) -> bool:
    """Whether ``track``'s face is on this frame record though a metric has no value there
    (measured on a cadence): the line goes on through it."""
    return track is not None and any(face["track"] == track for face in record.get("faces", []))


def metric_plot(metric: Metric, frames: list[int], records: dict[int, dict[str, Any]],
                qc: QCSpec, flags: tuple[str, ...]) -> Plot | None:
    """The metric over ``frames``, one line per track for face metrics; None: no value."""
    index = {f: i for i, f in enumerate(frames)}
    tracks = sorted({face["track"] for r in records.values() for face in r.get("faces", [])})
    keys: list[int | None] = list(tracks) if metric.per_face else [None]
    values = {k: [(f, metric.value(records[f], k)) for f in frames if f in records]
              for k in keys}
    numbers = [v for pts in values.values() for _, v in pts if v is not None]
    if not numbers:
        return None
    limits = metric.limits(qc)
    axes = _Axes(frames, min(numbers + limits), max(numbers + limits))
    plot = Plot(metric.key, metric.label)
    for n, key in enumerate(keys):
        runs: list[list[tuple[float, float]]] = []
        previous = None
        for f, v in values[key]:
            if v is None:
                if not _unmeasured(records[f], key):
                    previous = None  # a gap: no face there; a face not measured is no gap
                continue
            if previous is None or any(not _unmeasured(records.get(g, {}), key)
                                       for g in frames[index[previous] + 1:index[f]]):
                runs.append([])
            runs[-1].append((axes.x(f), axes.y(v)))
            previous = f
        label = f"track {key}" if key is not None else metric.label
        plot.series.append(Series(label, _COLOURS[n % len(_COLOURS)],
                                  [" ".join(f"{x},{y}" for x, y in run) for run in runs
                                   if len(run) > 1],
                                  [run[0] for run in runs if len(run) == 1]))
    if limits:
        plot.thresholds = [axes.y(limit) for limit in limits]
        plot.threshold_label = threshold_text(metric, qc)
    for f in frames:
        record = records.get(f)
        raised = [name for name in (record or {}).get("flags", []) if name in flags]
        value = metric.value(record) if record else None
        if raised and value is not None:
            plot.marks.append(Mark(f, axes.x(f), axes.y(value), f"{f}: {value:.4g}"))
    plot.flagged = len(plot.marks)
    plot.shaded = _shaded(axes, frames, records)
    plot.y_labels = [(axes.y(v), _tick(v)) for v in (axes.low, (axes.low + axes.high) / 2,
                                                        axes.high)]
    plot.x_labels = _x_labels(axes, frames)
    return plot


def event_plot(frames: list[int], records: dict[int, dict[str, Any]]) -> Plot | None:
    """One row of ticks per flag that has no number (no face, missing frame, ...)."""
    names = [n for n, info in FLAGS.items() if info.metric is None
             and any(n in r.get("flags", []) for r in records.values())]
    if not names:
        return None
    axes = _Axes(frames, 0.0, 1.0, left=_EVENT_LEFT)
    plot = Plot("events", "flags without a number", left=_EVENT_LEFT)
    step = (HEIGHT - _TOP - _BOTTOM) / len(names)
    for i, name in enumerate(names):
        y = round(_TOP + step * (i + 0.5), 1)
        ticks = [(axes.x(f), f) for f in frames if name in (records.get(f) or {}).get("flags", [])]
        plot.rows.append((y, name, ticks))
    plot.flagged = len({f for _, _, ticks in plot.rows for _, f in ticks})
    plot.x_labels = _x_labels(axes, frames)
    plot.shaded = _shaded(axes, frames, records)
    return plot


def shot_plots(frames: list[int], records: list[dict[str, Any]], qc: QCSpec) -> list[Plot]:
    """The default plots, then one per flagged metric, then the flags without a number."""
    by_frame = {r["frame"]: r for r in records}
    raised = {name for r in records for name in r.get("flags", [])}
    flagged = [info.metric for n, info in FLAGS.items() if n in raised and info.metric is not None]
    plots = []
    for key in dict.fromkeys([*DEFAULT_PLOTS, *flagged]):  # each once, the defaults first
        flags = tuple(n for n, info in FLAGS.items() if info.metric == key)
        plot = metric_plot(METRICS[key], frames, by_frame, qc, flags)
        if plot is not None:
            plots.append(plot)
    events = event_plot(frames, by_frame)
    if events is not None:
        plots.append(events)
    return plots
