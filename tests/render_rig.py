"""A shot analysed and solved once, whose frames tests render one at a time through the real
render code (``render_frame`` / ``render``), with the solved faces, QC thresholds, plate
frames and output folder each test chooses. Fast enough to fire every QC flag at unit level."""

from __future__ import annotations

import fcntl
import os
import shutil
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from conftest import make_shot

from faceplate.frames import SequencePath
from faceplate.nodes import ShotNode
from faceplate.pipeline.provenance import shot_provenance
from faceplate.pipeline.render import RenderResult, render
from faceplate.pipeline.render.stage import render_frame
from faceplate.pipeline.stage_files.records import FrameRecord
from faceplate.pipeline.stage_files.tracks import SolvedFace, SolvedSwap
from faceplate.plateio.frame import PlateFrame, read_frame
from faceplate.plateio.write import write_image
from faceplate.spec import QCSpec, ShotSpec, SolveSpec

FRAMES = "1001-1003"
#: A folder where the analysed shot is built once and reused by later test runs (the analysis
#: and source faces from its stage cache, kept while current; the solve redone). Set by
#: tools/mutation.py for the render packages, whose mutants cannot change what analysis and
#: solve compute (neither imports render); unset, the shot is built and analysed once per test
#: session (the modules run one after another; each takes it read-only and solves it again).
RIG_CACHE = "FACEPLATE_TEST_RIGS"


@dataclass
class RenderRig:
    """The test shot (three frames of the astronaut plate, Obama as the source), analysed and
    solved; ``spec`` is the shot's own, every test derives its own from it."""

    node: ShotNode
    solved: list[SolvedSwap]

    @property
    def spec(self) -> ShotSpec:
        return self.node.spec

    def face(self, frame: int) -> SolvedFace:
        """The solved face of the one swap on ``frame``."""
        return self.solved[0].faces[frame]

    def with_face(self, frame: int, **changes: Any) -> list[SolvedSwap]:
        """The solve with the face on ``frame`` changed (``origin``, ``score``, ``jitter``...)."""
        swap = self.solved[0]
        faces = {**swap.faces, frame: replace(swap.faces[frame], **changes)}
        return [replace(swap, faces=faces)]

    def without_face(self, frame: int, reason: str | None = None) -> list[SolvedSwap]:
        """The solve with no face on ``frame`` (skipped with ``reason``, if given)."""
        swap = self.solved[0]
        faces = {f: face for f, face in swap.faces.items() if f != frame}
        skipped = {**swap.skipped, frame: reason} if reason else dict(swap.skipped)
        return [replace(swap, faces=faces, skipped=skipped)]

    def spec_for(self, out: Path, *, qc: dict[str, Any] | None = None,
                 plates: Path | None = None, ext: str = "exr",
                 solve: dict[str, Any] | None = None) -> ShotSpec:
        """The shot's spec writing into ``out`` (frames, mattes, QC records), with QC thresholds
        and solve settings replaced, and the plate read from ``plates`` if given."""
        spec = self.spec
        name = f"tst010.####.{ext}"
        plate = spec.plate if plates is None else replace(
            spec.plate, path=SequencePath(str(plates / name)))
        output = replace(spec.output, path=SequencePath(str(out / f"fp.{name}")),
                         matte=SequencePath(str(out / "fp_matte.####.exr")),
                         qc=out / "qc", cache=spec.output.cache)
        return replace(spec, plate=plate, output=output, qc=replace(spec.qc, **(qc or {})),
                       solve=replace(spec.solve, **(solve or {})))

    def render_one(self, spec: ShotSpec, frame: int, solved: list[SolvedSwap] | None = None,
                   *, node: ShotNode | None = None) -> FrameRecord:
        """``render_frame`` of one frame, as the render stage calls it, with the context,
        pre-flight and sources of ``node`` (default: the rig's)."""
        node = node or self.node
        pre = node.preflight()
        provenance = shot_provenance(spec, node.ctx, pre.shot_models())
        return render_frame(spec, frame, self.solved if solved is None else solved,
                            node.sources(), provenance, node.ctx, pre)

    def render_stage(self, spec: ShotSpec, frames: list[int],
                     solved: list[SolvedSwap] | None = None, *, node: ShotNode | None = None,
                     **kwargs: Any) -> RenderResult:
        """The render stage (resume included) over ``frames``, with the context, pre-flight
        and sources of ``node`` (default: the rig's)."""
        node = node or self.node
        return render(spec, frames, self.solved if solved is None else solved, node.sources(),
                      node.ctx, node.preflight(), **kwargs)

    def plate(self, frame: int) -> PlateFrame:
        return read_frame(self.spec.plate.path.frame(frame), frame)

    def write_plate(self, folder: Path, frame: PlateFrame, ext: str = "exr") -> Path:
        """Write ``frame`` as frame ``frame.frame`` of a plate in ``folder``."""
        path = folder / f"tst010.{frame.frame:04d}.{ext}"
        folder.mkdir(parents=True, exist_ok=True)
        write_image(path, frame.spec, frame.pixels)
        return path


def make_rig(folder: Path, colour: Any) -> RenderRig:
    """The rig of a test module; ``folder`` is the module's own in the session's temporary tree
    (``tmp_path_factory.mktemp``): the analysed shot is shared from beside it (``rigs``, built by
    the session's first module) unless ``$FACEPLATE_TEST_RIGS`` names another folder. Every test
    writes into folders of its own (``spec_for``), never into the shared shot."""
    cache = Path(os.environ.get(RIG_CACHE) or folder.parent / "rigs")
    node = ShotNode.from_file(_cached_shot(cache, colour))
    node.ctx.face_pack  # noqa: B018  (loaded once for every test of the module)
    solved = node.solve(node.analyse())
    return RenderRig(node, solved)


def _cached_shot(cache: Path, colour: Any) -> Path:
    """The spec of the rig's shot in ``cache``, built and analysed there by the first run (one
    run at a time builds it: a lock; ``ready`` is written once the analysis is stored)."""
    cache.mkdir(parents=True, exist_ok=True)
    folder = cache / "render_rig"
    with (cache / "render_rig.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / "ready").exists():
            shutil.rmtree(folder, ignore_errors=True)
            shot = make_shot(folder, colour, FRAMES)
            ShotNode.from_file(shot.spec_path).analyse()
            (folder / "ready").write_text("analysed\n")
    return folder / "shot.yaml"


def documented_defaults() -> dict[str, float]:
    """The defaults docs/qc.md's flag table gives, by spec key (``qc.x`` and ``solve.x``)."""
    import re
    text = (Path(__file__).parent.parent / "docs" / "qc.md").read_text()
    found = {}
    for key, value in re.findall(r"`((?:qc|solve)\.\w+)` \(([-\d.]+)", text):
        found[key] = float(value)
    return found


def spec_defaults() -> dict[str, float]:
    """The defaults the spec gives, by the same keys."""
    values = {}
    for prefix, section in (("qc", QCSpec()), ("solve", SolveSpec())):
        for name, value in vars(section).items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                values[f"{prefix}.{name}"] = value
    return values
