"""Model runtime: a licence-aware manifest registry, sha256-checked files, onnxruntime sessions
and adapters for the public face-model families. Heavy imports (onnxruntime, onnx, torch) happen
only inside the functions that need them."""
