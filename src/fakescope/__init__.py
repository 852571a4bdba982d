"""fakescope: tell real speech from synthetic speech by analysing spectrograms, and show why.

Public API: `load_audio`, `Audio`, `Detector`, the error classes and `__version__`. Heavy modules (torch
front-ends, models, the Detector) are imported on first use so that `import fakescope` stays fast.
"""

from __future__ import annotations

from .audio import Audio, load_audio
from .errors import AudioError, CheckpointError, DatasetError, FakescopeError, ParameterError

__version__ = "0.1.0"



def __getattr__(name: str):
    # `fakescope.Detector` without importing torch at `import fakescope` time.
    if name == "Detector":
        from .detection import Detector

        return Detector
    raise AttributeError(f"module 'fakescope' has no attribute {name!r}")


__all__ = [
    "Audio",
    "Detector",
    "AudioError",
    "CheckpointError",
    "DatasetError",
    "FakescopeError",
    "ParameterError",
    "load_audio",
    "__version__",
]
