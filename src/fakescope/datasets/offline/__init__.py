"""The offline corpus: real speech from Debian packages, spoofs from real synthesisers and vocoders (DESIGN.md §6)."""

from .build import BuildResult, build_corpus
from .equalise import Equaliser
from .packages import MissingPackageError, PackageStore

__all__ = ["BuildResult", "Equaliser", "MissingPackageError", "PackageStore", "build_corpus"]
