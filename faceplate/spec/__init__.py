"""The shot spec: its typed values, loading and validation, the ``models:`` section, reviewer
overrides, the one builder of spec data, and versions. Imports only the ground floor."""

from faceplate.spec.build import save_spec, spec_data, with_absolute_paths
from faceplate.spec.inputs import check_inputs
from faceplate.spec.models_section import ModelsSpec
from faceplate.spec.parse import load_spec, parse_spec
from faceplate.spec.schema import (
                                   DEFAULT_MATTE_CHANNEL,
                                   OutputSpec,
                                   PlateSpec,
                                   QCSpec,
                                   ShotSpec,
                                   SolveSpec,
                                   SourceSpec,
                                   SwapSpec,
                                   TargetSpec,
)
from faceplate.spec.versions import SPEC_VERSION

__all__ = [
                                   "DEFAULT_MATTE_CHANNEL",
                                   "SPEC_VERSION",
                                   "ModelsSpec",
                                   "OutputSpec",
                                   "PlateSpec",
                                   "QCSpec",
                                   "ShotSpec",
                                   "SolveSpec",
                                   "SourceSpec",
                                   "SwapSpec",
                                   "TargetSpec",
                                   "check_inputs",
                                   "load_spec",
                                   "parse_spec",
                                   "save_spec",
                                   "spec_data",
                                   "with_absolute_paths",
]
