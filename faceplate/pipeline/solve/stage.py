"""Stage 2, solve: link faces into tracks over the whole shot, map tracks to swaps, bridge
gaps, reject outliers, smooth landmarks and colour with zero-lag filters, and apply reviewer
overrides.

Output: ``<cache>/tracks.json`` (:mod:`faceplate.pipeline.stage_files.tracks`).
"""

from __future__ import annotations

import time
from dataclasses import asdict, replace

from faceplate.pipeline.context import RunContext
from faceplate.pipeline.solve.link import link_tracks, merge_by_identity, pick_tracks
from faceplate.pipeline.solve.smooth import solve_track
from faceplate.pipeline.solve.spool import SpooledFaces
from faceplate.pipeline.stage_files.analysis import ShotAnalysis
from faceplate.pipeline.stage_files.paths import tracks_path
from faceplate.pipeline.stage_files.spool import PickleSpool
from faceplate.pipeline.stage_files.tracks import REVIEWER_PREFIX, SolvedSwap, write_tracks
from faceplate.spec import ShotSpec
from faceplate.spec.overrides import Override, load_overrides, overrides_path
from faceplate.types import Descriptor


def apply_overrides(solved: list[SolvedSwap], overrides: list[Override]) -> None:
    """Apply reviewer overrides in order: skip the swap, hold another frame's alignment,
    or set swap parameters, on every swap of the given frames (approvals change nothing).
    Each touched face or skip says which decision, by whom and when."""
    for o in overrides:
        if not o.changes_render:
            continue
        text = f"{REVIEWER_PREFIX}{o.describe()}"
        for swap in solved:
            for f in o.frames:
                if o.action == "skip":
                    if swap.faces.pop(f, None) is not None or f in swap.skipped:
                        swap.skipped[f] = text
                elif o.action == "hold" and o.hold is not None and o.hold in swap.faces:
                    held = swap.faces[o.hold]
                    swap.faces[f] = replace(held, frame=f, origin="held", override=text)
                    swap.skipped.pop(f, None)
                elif o.action == "set" and f in swap.faces:
                    face = swap.faces[f]
                    swap.faces[f] = replace(face, params={**face.params, **o.values}, override=text)


def solve(spec: ShotSpec, analysis: ShotAnalysis, ctx: RunContext,
          references: dict[int, Descriptor] | None = None) -> list[SolvedSwap]:
    """Solve the whole shot and write ``tracks.json``. The solved faces are kept on disk as
    they are solved (:mod:`~faceplate.pipeline.solve.spool`, beside ``tracks.json``), read
    back one at a time: however long the shot, no track's meshes are all held."""
    start = time.perf_counter()
    references = references or {}
    tracks = merge_by_identity(link_tracks(analysis), analysis)
    taken: set[int] = set()
    solved: list[SolvedSwap] = []
    spool = PickleSpool(tracks_path(spec).parent)
    for i, swap in enumerate(spec.swaps):
        picked = pick_tracks(i, swap, tracks, taken, analysis, references)
        taken.update(t.id for t in picked)
        solved.extend(solve_track(i, swap, t, analysis, spec.solve, SpooledFaces(spool))
                      for t in picked)
        if not picked:
            solved.append(SolvedSwap(i, swap.source, None, {}))
    apply_overrides(solved, load_overrides(overrides_path(spec.spec_path), spec.plate.frames))
    write_tracks(spec, solved, analysis_key=analysis.key, solve=asdict(spec.solve),
                 seconds=round(time.perf_counter() - start, 3),
                 tracks=[{"id": t.id, "frames": sorted(t.faces)} for t in tracks])
    ctx.log.info("solve: %d tracks, %d swaps", len(tracks), len(solved))
    return solved
