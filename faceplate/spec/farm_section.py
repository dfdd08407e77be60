"""The ``farm:`` section: each farm's resource options, in a shot spec and in the studio's
``faceplate.yaml``; the command line gives the same keys (``faceplate submit -o KEY=VALUE``).

These dataclasses are the one definition of the keys: they validate the spec, the studio file and
the command line (pydantic), give the JSON Schema its ``farm`` part, and are what the farm
backends are handed. A field left None is not set (the farm's own default applies)::

    farm:
      slurm: {partition: gpu, account: vfx, time: "02:00:00", mem: 16G, cpus: 4, gres: "gpu:1"}
      deadline: {pool: gpu, group: gpu_24g, priority: 60}
      opencue: {show: demo, cores: 4, memory: 8g, service: faceplate}

A section for a farm faceplate does not know (a studio's plugin farm) is passed to it as is.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import ConfigDict, Field, StringConstraints
from pydantic.dataclasses import dataclass

_CONFIG = ConfigDict(extra="forbid")
#: A scheduler-side name (partition, pool, show...): no spaces, quotes or commas.
Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:@+/-]+$")]
#: ``sbatch --time``: minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS.
SlurmTime = Annotated[str, StringConstraints(
    pattern=r"^(\d+|\d+:\d{1,2}|\d+:\d{1,2}:\d{1,2}|\d+-\d{1,2}|\d+-\d{1,2}:\d{1,2}"
            r"|\d+-\d{1,2}:\d{1,2}:\d{1,2})$")]
#: ``sbatch --mem``: a number of megabytes or a number with K, M, G or T.
SlurmMemory = Annotated[str, StringConstraints(pattern=r"^\d+[KMGT]?$")]
#: OpenCue layer memory as pyoutline writes it: ``512m``, ``8g``.
CueMemory = Annotated[str, StringConstraints(pattern=r"^\d+(\.\d+)?[mMgG]$")]


@dataclass(frozen=True, config=_CONFIG)
class LocalOptions:
    """The local farm takes no resource options (``--max-parallel`` sets its workers)."""


@dataclass(frozen=True, config=_CONFIG)
class SlurmOptions:
    """``#SBATCH`` options written into every stage's script."""

    partition: Name | None = Field(default=None, description="sbatch --partition")
    account: Name | None = Field(default=None, description="sbatch --account")
    time: SlurmTime | None = Field(default=None, description="sbatch --time, e.g. 02:00:00")
    mem: SlurmMemory | None = Field(default=None, description="sbatch --mem, e.g. 16G")
    cpus: int | None = Field(default=None, ge=1, description="sbatch --cpus-per-task")
    gres: Name | None = Field(default=None, description="sbatch --gres, e.g. gpu:1")


@dataclass(frozen=True, config=_CONFIG)
class DeadlineOptions:
    """Job-info keys written into every stage's job."""

    pool: Name | None = Field(default=None, description="Pool")
    group: Name | None = Field(default=None, description="Group")
    priority: int | None = Field(default=None, ge=0, le=100, description="Priority (0-100)")


@dataclass(frozen=True, config=_CONFIG)
class OpenCueOptions:
    """The show, the submitting user, and every layer's resources.

    Cuebot refuses jobs whose user is ``root`` or whose uid is 0: a job submitted by root (a
    container, a service account) must name ``user`` and ``uid``. ``autoeat`` eats dead frames
    so the chain always reaches the report (OpenCue has no "after any" dependency)."""

    show: Name | None = Field(default=None, description="the show (must exist on Cuebot)")
    user: Name | None = Field(default=None, description="the job's user (default: yours)")
    uid: int | None = Field(default=None, ge=1, description="the job's uid (default: yours)")
    cores: float | None = Field(default=None, gt=0, description="cores per frame")
    memory: CueMemory | None = Field(default=None, description="memory per frame, e.g. 8g")
    service: Name | None = Field(default=None, description="the layers' service")
    autoeat: bool | None = Field(default=None, description="eat dead frames (default false)")


#: The options of each farm faceplate ships, by farm name.
FARM_OPTIONS: Mapping[str, type] = {"local": LocalOptions, "slurm": SlurmOptions,
                                    "deadline": DeadlineOptions, "opencue": OpenCueOptions}


def given(options: Any) -> dict[str, Any]:
    """The keys an options value sets (its fields that are not None; a plugin farm's mapping
    as is)."""
    if dataclasses.is_dataclass(options) and not isinstance(options, type):
        return {k: v for k, v in dataclasses.asdict(options).items() if v is not None}
    return dict(options)
