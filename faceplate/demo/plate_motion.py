"""Time-lines of a built plate, all seeded: the handheld camera's path and the head's
own performance (turns, nods, sway, speech, blinks). Each is sampled finely (``oversample``
samples per frame) so the shutter can integrate sub-frame positions."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from faceplate.demo.head_warp import Expression, Pose

Series = NDArray[np.float64]


def pink_walk(rng: np.random.Generator, frames: int, oversample: int, step_rms: float) -> Series:
    """A random walk with a 1/f amplitude spectrum over ``frames`` frames, sampled
    ``oversample`` times per frame (``frames * oversample + 1`` samples, time 0..frames),
    scaled so the RMS of its frame-to-frame step is ``step_rms``."""
    n = frames * oversample + 1
    size = 2 * n
    freqs = np.fft.rfftfreq(size)
    amplitude = np.zeros_like(freqs)
    amplitude[1:] = 1.0 / freqs[1:]
    phase = rng.uniform(0.0, 2.0 * np.pi, len(freqs))
    spectrum = amplitude * np.exp(1j * phase) * rng.rayleigh(size=len(freqs))
    walk = np.fft.irfft(spectrum, size)[:n]
    walk -= walk[0]
    steps = np.diff(walk[::oversample])
    rms = float(np.sqrt(np.mean(steps**2))) if len(steps) else 1.0
    return walk * (step_rms / rms if rms > 0 else 0.0)


def _ease(keys_t: Series, keys_v: Series, t: Series) -> Series:
    """Piecewise smoothstep interpolation through key values (flat before and after)."""
    idx = np.clip(np.searchsorted(keys_t, t, side="right") - 1, 0, len(keys_t) - 2)
    t0, t1 = keys_t[idx], keys_t[idx + 1]
    s = np.clip((t - t0) / np.maximum(t1 - t0, 1e-9), 0.0, 1.0)
    s = s * s * (3.0 - 2.0 * s)
    return keys_v[idx] + s * (keys_v[idx + 1] - keys_v[idx])


@dataclass(frozen=True)
class Handheld:
    """A handheld camera: 1/f random-walk translation (``shake_px``: RMS per-frame step in
    frame pixels) and roll (``roll_deg``: RMS per-frame step), a slow zoom from 1 to
    ``zoom`` over the shot, a 180° shutter by default (``shutter`` in degrees)."""

    shake_px: float = 2.5
    roll_deg: float = 0.12
    zoom: float = 1.08
    shutter: float = 180.0


@dataclass(frozen=True)
class Performance:
    """The head's own motion and expression. Turns reach ±``yaw`` degrees; ``nod`` and
    ``roll`` degrees and ``sway`` (in interocular distances) of slow random motion;
    ``pitch`` degrees held (positive looks down); ``lids`` held closure (0 open .. 1
    closed); ``talk``: syllables, some opening and closing within 4 frames at 24 fps;
    ``blink``: a blink every 2-4 s."""

    yaw: float = 28.0
    nod: float = 3.0
    roll: float = 2.0
    sway: float = 0.12
    pitch: float = 0.0
    lids: float = 0.0
    talk: bool = True
    blink: bool = True


@dataclass(frozen=True)
class Timeline:
    """Sampled curves (index = frame * oversample, frame 0 is the first frame's centre)."""

    oversample: int
    cam_x: Series
    cam_y: Series
    cam_roll: Series
    cam_zoom: Series
    yaw: Series
    pitch: Series
    roll: Series
    shift_u: Series
    shift_v: Series
    jaw: Series
    lids: Series

    def _at(self, series: Series, frame: float) -> float:
        x = np.clip(frame * self.oversample, 0, len(series) - 1)
        return float(np.interp(x, np.arange(len(series)), series))

    def pose(self, frame: float, iod: float) -> Pose:
        """The head pose at a (fractional) frame; sway scaled by the still's ``iod``."""
        return Pose(
            self._at(self.yaw, frame),
            self._at(self.pitch, frame),
            self._at(self.roll, frame),
            (self._at(self.shift_u, frame) * iod, self._at(self.shift_v, frame) * iod),
        )

    def expression(self, frame: float) -> Expression:
        """Jaw and lids at a (fractional) frame."""
        return Expression(jaw=self._at(self.jaw, frame), lids=self._at(self.lids, frame))

    def camera(self, frame: float) -> tuple[float, float, float, float]:
        """Camera offset x, y (frame pixels), roll (degrees), zoom factor at a frame."""
        return (
            self._at(self.cam_x, frame),
            self._at(self.cam_y, frame),
            self._at(self.cam_roll, frame),
            self._at(self.cam_zoom, frame),
        )


def _speech(rng: np.random.Generator, frames: int, oversample: int, fps: float) -> Series:
    """Jaw opening 0..1: syllables as raised-cosine pulses of 3-8 frames (about half of them
    quick, 3 or 4), separated by 0-3 frame gaps, in phrases with pauses of 0.3-0.8 s."""
    t = np.arange(frames * oversample + 1) / oversample
    jaw = np.zeros_like(t)
    pos = float(rng.uniform(2.0, 6.0))
    quick = True
    while pos < frames:
        for _ in range(int(rng.integers(3, 8))):
            length = float(rng.choice([3.0, 4.0])) if quick else float(rng.uniform(4.5, 8.0))
            quick = not quick if rng.random() < 0.7 else quick
            peak = float(rng.uniform(0.35, 1.0))
            inside = (t >= pos) & (t <= pos + length)
            jaw[inside] = np.maximum(
                jaw[inside], peak * 0.5 * (1.0 - np.cos(2.0 * np.pi * (t[inside] - pos) / length))
            )
            pos += length + float(rng.integers(0, 4))
        pos += float(rng.uniform(0.3, 0.8)) * fps
    return jaw


def _blinks(rng: np.random.Generator, frames: int, oversample: int, fps: float) -> Series:
    """Lid closure 0..1: blinks every 2-4 s, closing in 1.5 frames, opening in 3."""
    t = np.arange(frames * oversample + 1) / oversample
    closure = np.zeros_like(t)
    pos = float(rng.uniform(0.3, 1.5)) * fps
    while pos < frames:
        # a triangle: up from pos - 1.5 to 1 at pos, down to 0 at pos + 3 (negative beyond)
        blink = np.minimum((t - pos + 1.5) / 1.5, 1.0 - (t - pos) / 3.0)
        closure = np.maximum(closure, blink)
        pos += float(rng.uniform(2.0, 4.0)) * fps
    return closure


def _turns(
    rng: np.random.Generator, frames: int, oversample: int, fps: float, yaw: float
) -> Series:
    """Yaw in degrees: eased turns every 0.6-1.4 s between 0, ±yaw/2 and ±yaw, reaching
    both +yaw and -yaw when the shot is long enough (>= 2.5 s)."""
    t = np.arange(frames * oversample + 1) / oversample
    if yaw == 0.0:
        return np.zeros_like(t)
    keys_t, keys_v = [0.0], [0.0]
    targets = [1.0, -1.0] if rng.random() < 0.5 else [-1.0, 1.0]
    while keys_t[-1] < frames:
        hold = float(rng.uniform(0.6, 1.4)) * fps
        value = targets.pop(0) if targets else float(rng.choice([-1.0, -0.5, 0.0, 0.5, 1.0]))
        keys_t += [keys_t[-1] + hold * 0.6, keys_t[-1] + hold]
        keys_v += [value * yaw, value * yaw]
    return _ease(np.array(keys_t), np.array(keys_v), t)


def build_timeline(
    seed: int,
    frames: int,
    fps: float,
    oversample: int,
    camera: Handheld | None,
    performance: Performance | None,
) -> Timeline:
    """All curves of a plate, deterministic from ``seed``."""
    rng = np.random.default_rng(seed)
    n = frames * oversample + 1
    zeros = np.zeros(n)
    t = np.arange(n) / oversample
    if camera is not None:
        cam_x = pink_walk(rng, frames, oversample, camera.shake_px / np.sqrt(2.0))
        cam_y = pink_walk(rng, frames, oversample, camera.shake_px / np.sqrt(2.0))
        cam_roll = pink_walk(rng, frames, oversample, camera.roll_deg)
        e = t / max(frames - 1, 1)
        cam_zoom = 1.0 + (camera.zoom - 1.0) * np.clip(e, 0.0, 1.0) ** 1.5
    else:
        cam_x = cam_y = cam_roll = zeros
        cam_zoom = np.ones(n)
    if performance is None:
        return Timeline(
            oversample,
            cam_x,
            cam_y,
            cam_roll,
            cam_zoom,
            zeros,
            zeros,
            zeros,
            zeros,
            zeros,
            zeros,
            zeros,
        )
    p = performance

    def wander(amount: float) -> Series:
        walk = pink_walk(rng, frames, oversample, 1.0)
        window = np.hanning(oversample * 12 + 1)
        walk = np.convolve(walk, window / window.sum(), mode="same")
        walk -= walk.mean()
        peak = float(np.abs(walk).max()) or 1.0
        return walk / peak * amount

    yaw = _turns(rng, frames, oversample, fps, p.yaw)
    pitch = p.pitch + wander(p.nod)
    roll = wander(p.roll)
    shift_u, shift_v = wander(p.sway), wander(p.sway * 0.5)
    jaw = _speech(rng, frames, oversample, fps) if p.talk else zeros
    lids = (
        np.maximum(p.lids, _blinks(rng, frames, oversample, fps)) if p.blink else np.full(n, p.lids)
    )
    return Timeline(
        oversample, cam_x, cam_y, cam_roll, cam_zoom, yaw, pitch, roll, shift_u, shift_v, jaw, lids
    )
