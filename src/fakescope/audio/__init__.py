"""Audio input: decode any common format, validate, convert to mono float32 at the requested rate."""

from .io import AUDIO_EXTENSIONS, load_audio, source_name
from .types import Audio
from .validate import Limits
from .write import save_audio

__all__ = ["AUDIO_EXTENSIONS", "Audio", "Limits", "load_audio", "save_audio", "source_name"]
