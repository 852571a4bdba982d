# Environment shared by the README commands (sourced, not run).
# librosa's numba JIT costs ~30 s on a fresh machine; a persistent cache pays it once.
export NUMBA_CACHE_DIR="${NUMBA_CACHE_DIR:-$PWD/.numba-cache}"
# onnxruntime >= 1.29 makes telemetry look-ups after import; we never want network at run time.
export ORT_DISABLE_TELEMETRY=1
export MPLBACKEND=Agg
