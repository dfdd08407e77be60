"""The shot commands: ``run``, ``demo`` and one command per stage."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import click

from faceplate.cli.options import (
    force_opt,
    frames_opt,
    frames_option,
    print_result,
    shot_node,
    workers_opt,
    workers_option,
)
from faceplate.cli.output import Output, output_options
from faceplate.frames import format_frames, parse_frames


def _set_up_for_analysis() -> None:
    """What a process that analyses a shot sets before NumPy and OpenCV load (each kept where
    the environment already gives it): NumPy's arrays on small pages, OpenBLAS in one thread,
    OpenCV's pool on the cores analysis's plate reader leaves (docs/performance.md)."""
    from faceplate.memory import no_numpy_huge_pages
    from faceplate.threads import (
        analysis_opencv_threads,
        cores_here,
        one_blas_thread,
        opencv_threads,
    )
    no_numpy_huge_pages()
    one_blas_thread()
    opencv_threads(analysis_opencv_threads(cores_here()))


@click.command()
@click.argument("spec", type=click.Path(path_type=Path))
@frames_opt
@force_opt
@workers_opt
@click.option("--only", type=click.Choice(["flagged", "overridden"]), default=None,
              help="Re-render only the frames flagged in the last report, or those a "
                   "reviewer overrode.")
@output_options
def run(spec: Path, frames: str | None, force: bool, workers: str,
        only: Literal["flagged", "overridden"] | None, out: Output) -> None:
    """Run a shot: analyse, solve, render FRAMES (default all) and report.

    Frames whose outputs are complete and current are kept (a re-run resumes)."""
    _set_up_for_analysis()  # its render no slower for it
    from faceplate.errors import IncompleteShotError
    from faceplate.models.dlib_process import DescriptorProcess
    from faceplate.nodes.shot import ShotResult
    with DescriptorProcess() as descriptors:  # started by the first descriptor asked
        node = shot_node(spec, out, descriptors)
        try:
            result = node.run(frames_option(frames), only, force=force,
                              workers=workers_option(workers))
        except IncompleteShotError as exc:  # the run's lines and document still go out
            if isinstance(exc.result, ShotResult):
                print_result(exc.result, out)
                out.finish()
            raise
    print_result(result, out)


@click.command()
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("demo_out"),
              show_default=True, help="Folder for the demo shot and its results.")
@output_options
def demo(out_dir: Path, out: Output) -> None:
    """Build the demo shot from the embedded portraits and run it."""
    from faceplate.demo import build_demo_shot
    from faceplate.models.dlib_process import DescriptorProcess
    spec = build_demo_shot(out_dir.absolute())
    out.line(f"demo shot: {spec}")
    with DescriptorProcess() as descriptors:
        node = shot_node(spec, out, descriptors)
        result = node.run(workers="auto")
    output = node.spec.output  # the demo's spec always writes mattes
    out.line(f"swapped frames: {output.path}\nmattes: {output.matte}")
    out.result({"spec": str(spec), "frames": str(output.path), "mattes": str(output.matte)})
    print_result(result, out)


@click.command()
@click.argument("spec", type=click.Path(path_type=Path))
@output_options
def analyse(spec: Path, out: Output) -> None:
    """Stage 1: find faces on every frame (cached)."""
    _set_up_for_analysis()
    from faceplate.models.dlib_process import DescriptorProcess
    from faceplate.pipeline.stage_files.analysis import face_counts
    with DescriptorProcess() as descriptors:  # started by the first descriptor asked
        result = shot_node(spec, out, descriptors).analyse()
    out.line(f"analysed {len(result.frames)} frames")
    out.result({"analysed": format_frames(list(result.frames)),
                "faces": {str(f): n for f, n in face_counts(result).items()}})


@click.command()
@click.argument("spec", type=click.Path(path_type=Path))
@output_options
def solve(spec: Path, out: Output) -> None:
    """Stage 2: link faces into tracks over the whole shot and smooth them."""
    solved = shot_node(spec, out).solve()
    for s in solved:
        out.line(f"swap {s.swap} ({s.source}): track {s.track}, {len(s.faces)} frames")
    out.result({"swaps": [{"swap": s.swap, "source": s.source, "track": s.track,
                           "frames": format_frames(sorted(s.faces))} for s in solved]})


@click.command()
@click.argument("spec", type=click.Path(path_type=Path))
@frames_opt
@force_opt
@workers_opt
@output_options
def render(spec: Path, frames: str | None, force: bool, workers: str, out: Output) -> None:
    """Stage 3: render FRAMES from the solved tracks (a farm chunk).

    Frames already complete and current are kept; a frame that fails fails the task (exit 3)
    after the other frames are done."""
    from faceplate.models.dlib_process import DescriptorProcess
    from faceplate.pipeline.runner import incomplete
    with DescriptorProcess() as descriptors:  # QC's identities, started when first asked
        result = shot_node(spec, out, descriptors).render(
            frames_option(frames), force=force, workers=workers_option(workers))
    out.line(f"rendered {len(result.outcomes) - len(result.reused)} frames; "
             f"already complete: {len(result.reused)}")
    reused = set(result.reused)  # once, not once a frame
    out.result({"rendered": format_frames([r.frame for r in result.outcomes
                                           if r.frame not in reused]),
                "reused": format_frames(result.reused), "failed": format_frames(result.failed)})
    if result.failed:
        out.finish()  # the document, naming the failed frames, still goes out before the exit
        raise incomplete(result.failed)


@click.command()
@click.argument("spec", type=click.Path(path_type=Path))
@click.option("--compare", nargs=2, default=None, metavar="A B",
              help="Two versions (QC folders or qc.json files) to show side by side.")
@output_options
def report(spec: Path, compare: tuple[str, str] | None, out: Output) -> None:
    """Stage 4: merge frame records into qc.json and index.html (or compare two versions).

    Exits 3, naming them, when frames of the shot failed or were never rendered (the report is
    written all the same: a farm runs this stage after render whatever render's exit)."""
    from faceplate.pipeline.runner import incomplete
    node = shot_node(spec, out)
    if compare:
        from faceplate.pipeline.report.compare import compare_versions
        page = compare_versions(node.spec, node.ctx, node.preflight(models=False),
                                Path(compare[0]), Path(compare[1]))
        out.line(f"compare: {page}")
        out.result({"compare": str(page)})
        return
    result = node.report()
    out.line(f"qc: {result.qc_json}\nreport: {result.index_html}")
    if result.timeline is not None:
        out.line(f"timeline: {result.timeline}")
    summary = result.summary
    out.result({"qc": str(result.qc_json), "report": str(result.index_html),
                "timeline": str(result.timeline) if result.timeline else None,
                "summary": summary})
    unwritten = sorted({*_frames(summary["failed_frames"]), *_frames(summary["not_rendered"])})
    if unwritten:
        out.finish()  # the document (its summary names the frames) still goes out
        raise incomplete(unwritten, result.qc_json)


def _frames(text: str) -> list[int]:
    return parse_frames(text) if text else []


COMMANDS = (run, demo, analyse, solve, render, report)
