"""What each QC flag means for a reviewer: the metric it reads, its threshold and a one-line
explanation, and the metric's value on a frame record."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from faceplate.spec import QCSpec, SolveSpec

#: What QC compares with a metric's threshold (render's checks): the value itself, its size
#: (``|value|``: too high and too low alike), its distance from 1 (``|value - 1|``: a ratio
#: either way), or the value against a band (below ``floor`` or above ``threshold``).
Compared = Literal["value", "size", "from_one", "band"]


@dataclass(frozen=True)
class Metric:
    """A number QC measures per face (``per_face``) or per frame, over the shot.

    ``threshold`` names a ``qc:`` setting (None: none); ``above``: values above it are flagged
    (else values below it); ``compared``: what render compares with it (a band's lower bound
    is the ``floor`` setting); ``needs_face``: a frame metric with no value on a frame without
    a face (so plots leave a gap there rather than draw a flat zero)."""

    key: str
    label: str
    per_face: bool
    threshold: str | None = None
    above: bool = True
    needs_face: bool = True
    compared: Compared = "value"
    floor: str | None = None

    def value(self, record: dict[str, Any], track: int | None = None) -> float | None:
        """The metric on a frame record (of one track's face, or the face furthest on the
        flagged side: the largest, the smallest, or the furthest from 0, 1 or the band's
        middle, as ``compared`` says), or None where it has no value (no face, not
        measured)."""
        if not self.per_face:
            raw = record.get(self.key)
            if self.needs_face and not record.get("faces"):
                return None
            return None if raw is None else float(raw)
        values = [float(f[self.key]) for f in record.get("faces", [])
                  if f.get(self.key) is not None and (track is None or f["track"] == track)]
        if not values:
            return None
        return max(values, key=self._worse)

    def _worse(self, value: float) -> float:
        """How far ``value`` lies on the flagged side (larger: worse)."""
        if self.compared == "size":
            return abs(value)
        if self.compared == "from_one":
            return abs(value - 1.0)
        if self.compared == "band":  # a ratio: as far below 1 as above it, in log terms
            return abs(math.log(value)) if value > 0 else math.inf
        return value if self.above else -value

    def limits(self, qc: QCSpec) -> list[float]:
        """The values where flagging starts (a plot's dashed lines), lowest first."""
        if self.threshold is None:
            return []
        limit = float(getattr(qc, self.threshold))
        if self.compared == "size":
            return [-limit, limit]
        if self.compared == "from_one":
            return [1.0 - limit, 1.0 + limit]
        if self.compared == "band":
            assert self.floor is not None
            return [float(getattr(qc, self.floor)), limit]
        return [limit]


METRICS = {m.key: m for m in (
    Metric("identity_distance_to_source", "identity distance to source", True,
           "max_identity_distance"),
    Metric("identity_distance_to_original", "identity distance to the plate's face", True,
           "min_distance_to_original", above=False),
    Metric("jitter", "landmark jitter (× face size)", True, "max_jitter"),
    Metric("seam", "ΔE just inside the matte edge", True, "max_seam"),
    Metric("highlight", "99th-percentile L* - the plate's", True, "max_highlight",
           compared="size"),
    Metric("detail_ratio", "detail (mean |Laplacian|) / the plate's", True, "max_detail_ratio",
           compared="band", floor="min_detail_ratio"),
    Metric("grain_ratio", "grain level / the plate's", True, "max_grain_difference",
           compared="from_one"),
    Metric("eye_difference", "eye opening - the plate's", True, "max_eye_difference",
           compared="size"),
    Metric("mouth_difference", "mouth opening - the plate's", True, "max_mouth_difference",
           compared="size"),
    Metric("hard_edge", "L* gradient over the plate's on the matte edge", True,
           "max_hard_edge"),
    Metric("score", "detection score", True, "min_score", above=False),
    Metric("matte_area", "matte area (pixels)", False),
    Metric("matte_change", "matte area change (× previous frame's)", False, "max_matte_change"),
    Metric("nonfinite_pixels", "NaN/Inf values in the plate's RGB", False, needs_face=False),
)}

#: The plots every report draws; a flagged metric adds its own.
DEFAULT_PLOTS = ("identity_distance_to_source", "jitter", "matte_area")


@dataclass(frozen=True)
class FlagInfo:
    """A flag's metric (None: an event with no number), and what it means."""

    metric: str | None
    explanation: str


FLAGS: dict[str, FlagInfo] = {
    "no_face": FlagInfo(None, "No target face here (or an interpolated one with nothing "
                              "face-like under it): the frame passed through unswapped."),
    "low_score": FlagInfo("score", "The detector was unsure of this face: check the alignment "
                                   "and that it is the right person."),
    "identity_far_from_source": FlagInfo(
        "identity_distance_to_source", "The swapped face does not read as the source person."),
    "identity_close_to_original": FlagInfo(
        "identity_distance_to_original", "The swapped face still reads as the plate's actor: "
                                         "the swap did not take."),
    "jitter_spike": FlagInfo("jitter", "The solved face leaves its neighbours' path: look for "
                                       "a pop or a swim."),
    "matte_jump": FlagInfo("matte_change", "The matte grows or shrinks suddenly from the "
                                           "previous frame: look for flicker at its edge."),
    "seam_mismatch": FlagInfo("seam", "The colour steps at the matte's edge: look for a "
                                      "visible seam."),
    "highlight_mismatch": FlagInfo("highlight", "The face's brightest skin is brighter or "
                                                "darker than the plate's light gives: look "
                                                "for a pasted highlight or a grey face."),
    "detail_mismatch": FlagInfo("detail_ratio", "The face is crisper or softer than the "
                                                "plate: look for a pasted still or a smear."),
    "grain_mismatch": FlagInfo("grain_ratio", "The face's grain differs from the plate's: "
                                              "look for a clean or noisy patch."),
    "eye_mismatch": FlagInfo("eye_difference", "The eyes are more or less open than the "
                                               "plate's: look at the lids and the gaze."),
    "mouth_mismatch": FlagInfo("mouth_difference", "The mouth is more or less open than the "
                                                   "plate's: look at the lips."),
    "hard_edge": FlagInfo("hard_edge", "A hard line inside the soft matte: look for the "
                                       "warped texture's edge at temple and jaw."),
    "pose_beyond_limit": FlagInfo(None, "The face turned past the yaw limit, so it was passed "
                                        "through or given a nearby frame's alignment."),
    "interpolated_alignment": FlagInfo(None, "No usable detection here: the alignment was "
                                             "interpolated from the frames around it."),
    "tracking_unsure": FlagInfo(None, "The optical flow could not follow the face here (its "
                                      "forward-backward check failed): the face is placed by "
                                      "its mesh alone and a new segment starts."),
    "missing_frame": FlagInfo(None, "The plate frame is missing: nothing was written."),
    "unreadable_frame": FlagInfo(None, "The plate frame could not be read: nothing was "
                                       "written."),
    "non_finite_pixels": FlagInfo("nonfinite_pixels", "The plate holds NaN or Inf values; "
                                                      "they are kept bit for bit outside the "
                                                      "matte."),
}


@dataclass(frozen=True)
class FlagView:
    """One flag on one frame as the page shows it."""

    name: str
    metric: str
    value: str
    threshold: str
    explanation: str
    reason: str


def threshold_text(metric: Metric, qc: QCSpec) -> str:
    """Where ``metric`` is flagged, as render checks it: ``> 0.68 (qc.max_identity_distance)``,
    ``|x| > 3 (qc.max_highlight)``, ``|x - 1| > 0.2 (qc.max_grain_difference)``,
    ``< 0.8 or > 1.25 (qc.min_detail_ratio, qc.max_detail_ratio)``; ``any`` for a count, or
    ``–``."""
    if metric.threshold is None:
        return "any" if metric.key == "nonfinite_pixels" else "–"
    limit = f"{getattr(qc, metric.threshold):g}"
    if metric.compared == "size":
        return f"|x| > {limit} (qc.{metric.threshold})"
    if metric.compared == "from_one":
        return f"|x - 1| > {limit} (qc.{metric.threshold})"
    if metric.compared == "band":
        return (f"< {getattr(qc, str(metric.floor)):g} or > {limit} "
                f"(qc.{metric.floor}, qc.{metric.threshold})")
    side = ">" if metric.above else "<"
    return f"{side} {limit} (qc.{metric.threshold})"


def _event_threshold(name: str, solve: SolveSpec) -> str:
    if name == "pose_beyond_limit":
        return f"|yaw| > {solve.max_yaw:g}° (solve.max_yaw)"
    if name == "interpolated_alignment":
        return f"gaps up to {solve.max_gap} frames bridged (solve.max_gap)"
    return "–"


def flag_views(record: dict[str, Any], qc: QCSpec, solve: SolveSpec) -> list[FlagView]:
    """Every flag of a frame record with its metric, value, threshold and explanation."""
    views = []
    for name in record.get("flags", []):
        info = FLAGS.get(name, FlagInfo(None, "A flag this version of the page does not know."))
        reason = record.get("reasons", {}).get(name, "")
        if info.metric is None:
            views.append(FlagView(name, "–", "–", _event_threshold(name, solve),
                                  info.explanation, reason))
            continue
        metric = METRICS[info.metric]
        value = metric.value(record)
        views.append(FlagView(name, metric.label, "–" if value is None else f"{value:.4g}",
                              threshold_text(metric, qc), info.explanation, reason))
    return views
