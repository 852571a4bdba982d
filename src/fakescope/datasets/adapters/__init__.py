"""Dataset adapters: each turns one standard dataset tree into manifest rows (`ADAPTERS` lists them).

Importing this package registers every adapter; `import_dataset(format, root, out)` runs one and writes
the manifest with paths relative to its folder.
"""

from . import asvspoof2019, asvspoof2021, asvspoof5, fake_or_real, folder, in_the_wild, mlaad, table, wavefake  # noqa: F401
from .base import ADAPTERS, Adapter, ImportOptions
from .importer import ImportReport, check_unique_ids, import_dataset, read_dataset, rebase, relocate

__all__ = [
    "ADAPTERS",
    "Adapter",
    "ImportOptions",
    "ImportReport",
    "check_unique_ids",
    "import_dataset",
    "read_dataset",
    "rebase",
    "relocate",
]
