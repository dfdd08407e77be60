"""The command line's progress bars (tqdm on stderr): one per stage, frames/s and ETA."""

from __future__ import annotations

from typing import Any

from faceplate.pipeline.progress import Progress


class StageBars:
    """A :data:`faceplate.pipeline.progress.ProgressCallback` drawing one bar per stage.

    Bars draw only on a terminal unless ``always``; close them with :meth:`close`.
    """

    def __init__(self, *, always: bool = False) -> None:
        self.always = always
        self._bars: dict[str, Any] = {}

    def __call__(self, update: Progress) -> None:
        from tqdm import tqdm
        bar = self._bars.get(update.stage)
        if bar is None:
            bar = tqdm(total=update.total, desc=update.stage, unit="frame", leave=True,
                       disable=None if not self.always else False, dynamic_ncols=True)
            self._bars[update.stage] = bar
        if update.frame is not None:  # before the update, whose redraw then shows it
            bar.set_postfix_str(f"frame {update.frame}", refresh=False)
        bar.update(update.done - bar.n)
        if update.done >= update.total:
            bar.close()

    def close(self) -> None:
        for bar in self._bars.values():
            bar.close()
