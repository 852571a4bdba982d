"""fakescope: tell real speech from synthetic speech by analysing spectrograms, and show why.

Public API: `load_audio`, `Audio`, the error classes and `__version__`. Heavy modules (torch front-ends,
models) are imported on first use so that `import fakescope` stays fast.
"""

from __future__ import annotations

from .audio import Audio, load_audio
from .errors import AudioError, CheckpointError, DatasetError, FakescopeError, ParameterError

__version__ = "0.1.0"

__all__ = [
    "Audio",
    "AudioError",
    "CheckpointError",
    "DatasetError",
    "FakescopeError",
    "ParameterError",
    "load_audio",
    "__version__",
]
