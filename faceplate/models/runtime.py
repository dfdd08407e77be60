"""onnxruntime sessions: one per model per registry, provider order with fallback."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from faceplate.errors import ModelError
from faceplate.models.contracts import verify_file
from faceplate.models.files import FileStatus, search_path
from faceplate.models.lock import ModelLock
from faceplate.models.manifest import ModelEntry, load_manifest
from faceplate.models.policy import LicencePolicy

#: Short names accepted in ``providers`` and the onnxruntime provider they mean.
PROVIDERS = {"tensorrt": "TensorrtExecutionProvider", "cuda": "CUDAExecutionProvider",
             "cpu": "CPUExecutionProvider"}


@dataclass(frozen=True)
class RuntimeOptions:
    """How sessions are made: provider order, GPU memory limit (bytes), intra-op threads."""

    providers: tuple[str, ...] = ("tensorrt", "cuda", "cpu")
    gpu_mem_limit: int | None = None
    intra_op_threads: int | None = None
    backend: str = "onnxruntime"  # or "torch" (onnx2torch)


def _provider_list(options: RuntimeOptions, available: list[str]) -> list[Any]:
    chosen: list[Any] = []
    for name in options.providers:
        ort_name = PROVIDERS.get(name.lower(), name)
        if ort_name not in available:
            continue
        if ort_name == "CUDAExecutionProvider" and options.gpu_mem_limit:
            chosen.append((ort_name, {"gpu_mem_limit": str(options.gpu_mem_limit)}))
        elif ort_name == "TensorrtExecutionProvider" and options.gpu_mem_limit:
            chosen.append((ort_name, {"trt_max_workspace_size": str(options.gpu_mem_limit)}))
        else:
            chosen.append(ort_name)
    if "CPUExecutionProvider" not in chosen:  # named plainly: it takes no options
        chosen.append("CPUExecutionProvider")  # last-resort fallback
    return chosen


@dataclass
class Session:
    """A loaded model: its entry, file status, and the provider actually used."""

    entry: ModelEntry
    status: FileStatus
    provider: str
    _run: Any
    input_shapes: dict[str, list[Any]]
    initializers: list[np.ndarray] = field(default_factory=list)

    def run(self, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        """Run the model; wrap runtime failures in :class:`ModelError`."""
        try:
            return [np.asarray(o) for o in self._run(feeds)]
        except Exception as exc:  # onnxruntime raises its own exception types
            raise ModelError(f"model {self.entry.id} failed to run: {exc}",
                             path=self.status.path) from exc

    def batched(self, name: str) -> bool:
        """Whether input ``name`` has a free (symbolic or -1) batch dimension."""
        shape = self.input_shapes.get(name)
        if not shape:
            return False
        return not isinstance(shape[0], int) or shape[0] < 1


def _last_initializer(model: Any) -> list[np.ndarray]:
    """The graph's last initializer (inswapper's emap), from a loaded ModelProto."""
    from onnx import numpy_helper
    return [numpy_helper.to_array(model.graph.initializer[-1])] if model.graph.initializer else []


_Made = tuple[Any, str, dict[str, list[Any]], list[np.ndarray]]


def _ort_session(path: Path, options: RuntimeOptions, emap: bool) -> _Made:
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.log_severity_level = 3  # errors only: unused initializers (inswapper's emap) are expected
    if options.intra_op_threads:
        so.intra_op_num_threads = options.intra_op_threads
    providers = _provider_list(options, ort.get_available_providers())
    try:
        sess = ort.InferenceSession(str(path), sess_options=so, providers=providers)
    except Exception as exc:
        raise ModelError(f"onnxruntime cannot load the model: {exc}", path=path) from exc
    shapes = {i.name: list(i.shape) for i in sess.get_inputs()}

    def run(feeds: dict[str, np.ndarray]) -> list[Any]:
        return sess.run(None, feeds)
    inits = []
    if emap:
        import onnx
        inits = _last_initializer(onnx.load(str(path)))
    return run, sess.get_providers()[0], shapes, inits


def _torch_session(path: Path, options: RuntimeOptions, emap: bool) -> _Made:
    try:
        import onnx
        import torch
        from onnx2torch import convert
    except ImportError as exc:
        raise ModelError(f"backend torch needs the 'torch' extra: {exc}", path=path) from exc
    model = onnx.load(str(path))
    names = [i.name for i in model.graph.input
             if i.name not in {init.name for init in model.graph.initializer}]
    shapes = {i.name: [d.dim_value or d.dim_param for d in i.type.tensor_type.shape.dim]
              for i in model.graph.input if i.name in names}
    device = "cuda" if torch.cuda.is_available() and "cuda" in options.providers else "cpu"
    with warnings.catch_warnings():  # onnx2torch warns of its resize modes on every model
        warnings.simplefilter("ignore", UserWarning)
        net = convert(model).eval().to(device)

    def run(feeds: dict[str, np.ndarray]) -> list[Any]:
        with torch.inference_mode(), warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            out = net(*[torch.from_numpy(feeds[n]).to(device) for n in names])
        out = out if isinstance(out, (list, tuple)) else [out]
        return [o.cpu().numpy() for o in out]
    return run, f"torch:{device}", shapes, _last_initializer(model) if emap else []


#: What makes a session, by ``RuntimeOptions.backend`` (the spec allows these two).
_BACKENDS = {"onnxruntime": _ort_session, "torch": _torch_session}


class ModelRegistry:
    """Holds the manifest, search path, licence policy, the studio's lock and the sessions made
    so far.

    One session per model id per registry; pass one registry through a process (no globals).
    """

    def __init__(self, manifest: dict[str, ModelEntry] | None = None,
                 model_dirs: list[Path] | None = None, policy: LicencePolicy | None = None,
                 options: RuntimeOptions | None = None, lock: ModelLock | None = None) -> None:
        self.manifest = load_manifest() if manifest is None else manifest
        self.dirs = search_path(model_dirs)
        self.policy = policy or LicencePolicy()
        self.options = options or RuntimeOptions()
        self.lock = lock or ModelLock()
        self._sessions: dict[str, Session] = {}

    def entry(self, model_id: str) -> ModelEntry:
        """The manifest entry for ``model_id``."""
        if model_id not in self.manifest:
            known = ", ".join(sorted(self.manifest))
            raise ModelError(f"unknown model '{model_id}'; known: {known}")
        return self.manifest[model_id]

    def session(self, model_id: str) -> Session:
        """The session for ``model_id``: licence, sha256 (manifest and lock) and contract
        checked, loaded once."""
        if model_id in self._sessions:
            return self._sessions[model_id]
        entry = self.entry(model_id)
        self.policy.check(entry)
        if entry.format != "onnx":
            raise ModelError(f"model {model_id} is a {entry.format} model, not run here")
        status = verify_file(entry, self.dirs, self.lock)
        assert status.path is not None
        make = _BACKENDS[self.options.backend]
        run, provider, shapes, inits = make(status.path, self.options,
                                            entry.extra.get("source_embedding") == "emap")
        self._sessions[model_id] = Session(entry, status, provider, run, shapes, inits)
        return self._sessions[model_id]

    def digests(self) -> dict[str, str]:
        """Model id → sha256 of the file each loaded session was made from (provenance)."""
        return {k: s.status.sha256 or "?" for k, s in self._sessions.items()}

    def providers_used(self) -> dict[str, str]:
        """Model id -> provider actually used, for QC and ``faceplate doctor``."""
        return {k: s.provider for k, s in self._sessions.items()}
