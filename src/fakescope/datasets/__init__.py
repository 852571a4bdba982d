"""Datasets: the manifest contract, adapters, the offline corpus, splits, balancing and the shortcut audit."""

from .manifest import LABELS, Manifest, ManifestRow, read_manifest, write_manifest

__all__ = ["LABELS", "Manifest", "ManifestRow", "read_manifest", "write_manifest"]
