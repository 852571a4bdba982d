"""Where the corpus's Debian and PyPI parts live on this machine, and fetching the Debian data without root.

A Debian package's files are found in the installed system (`dpkg -s` says installed) or in a cache folder
where `apt-get download` + `dpkg -x` unpacked it (no root needed, nothing installed system-wide).
Programs (espeak-ng, text2wave, flite, c2enc) must be installed: they need their shared libraries.
Anything missing raises MissingPackageError naming the command that installs it.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ...errors import DatasetError


class MissingPackageError(DatasetError):
    """A Debian or PyPI package the corpus needs is not available. `install` is the command to run."""

    def __init__(self, package: str, *, manager: str, why: str) -> None:
        self.package = package
        self.manager = manager
        self.install = f"apt-get install {package}" if manager == "apt" else f"pip install {package}"
        super().__init__(f"{why}: needs the {manager} package {package} (install with: {self.install})")


def default_cache_dir() -> Path:
    """The folder unpacked Debian packages are kept in ($FAKESCOPE_CACHE or ~/.cache/fakescope)."""
    base = os.environ.get("FAKESCOPE_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "fakescope")
    return Path(base) / "debian"


def is_installed(package: str) -> bool:
    """True when dpkg reports `package` as installed on this system."""
    if shutil.which("dpkg-query") is None:
        return False
    result = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True, check=False
    )
    return result.returncode == 0 and result.stdout.strip().endswith(" installed")


@dataclass
class PackageStore:
    """Finds the files of Debian packages: the system root when installed, else an unpacked copy in `cache_dir`.

    fetch: download and unpack missing packages with `apt-get download` + `dpkg -x` (needs apt's package lists).
    """

    cache_dir: Path
    fetch: bool = True

    def root(self, package: str) -> Path:
        """The folder that plays the role of `/` for `package`'s files. Raises MissingPackageError."""
        if is_installed(package):
            return Path("/")
        unpacked = self.cache_dir / package
        if (unpacked / ".complete").is_file():
            return unpacked
        if self.fetch and shutil.which("apt-get") and shutil.which("dpkg-deb"):
            self._download(package, unpacked)
            return unpacked
        raise MissingPackageError(package, manager="apt", why=f"Debian package {package} is not installed")

    def path(self, package: str, relative: str) -> Path:
        """`relative` (e.g. "usr/share/klettres") inside `package`'s files; raises when the package lacks it."""
        path = self.root(package) / relative
        if not path.exists():
            raise MissingPackageError(package, manager="apt", why=f"{path} is missing")
        return path

    def _download(self, package: str, target: Path) -> None:
        debs = self.cache_dir / ".debs"
        debs.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(
            ["apt-get", "download", "-qq", package], cwd=debs, capture_output=True, text=True, check=False
        )
        candidates = sorted(debs.glob(f"{package}_*.deb"))
        if result.returncode != 0 or not candidates:
            reason = (result.stderr.strip().splitlines() or ["apt-get download failed"])[-1]
            raise MissingPackageError(package, manager="apt", why=f"could not download {package} ({reason})")
        partial = target.with_name(f".{target.name}.partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        unpack = subprocess.run(["dpkg-deb", "-x", str(candidates[-1]), str(partial)], capture_output=True, text=True)
        if unpack.returncode != 0:
            raise DatasetError(f"{candidates[-1]}: dpkg-deb -x failed: {unpack.stderr.strip()}")
        (partial / ".complete").touch()
        shutil.rmtree(target, ignore_errors=True)
        os.replace(partial, target)
        candidates[-1].unlink()


def require_program(program: str, package: str) -> str:
    """The path of an installed program; MissingPackageError naming its Debian package otherwise."""
    found = shutil.which(program)
    if found is None:
        raise MissingPackageError(package, manager="apt", why=f"the program {program} is not installed")
    return found


TOOL_TIMEOUT_S = 120  # a corpus utterance takes a synthesiser or coder seconds; minutes means it hung


def run_tool(command: list[str], *, what: str, detail: str = "", **kwargs) -> subprocess.CompletedProcess:
    """subprocess.run of a synthesiser or coder (output captured, no check) whose hang past TOOL_TIMEOUT_S fails
    as a one-line DatasetError "<what> timed out after N s <detail>": the build then lists that one utterance as
    failed and goes on."""
    try:
        return subprocess.run(command, capture_output=True, timeout=TOOL_TIMEOUT_S, check=False, **kwargs)
    except subprocess.TimeoutExpired:
        raise DatasetError(" ".join(filter(None, [f"{what} timed out after {TOOL_TIMEOUT_S} s", detail]))) from None


def require_module(module: str, package: str) -> None:
    """Raise MissingPackageError naming the PyPI package when `module` cannot be imported."""
    if importlib.util.find_spec(module) is None:
        raise MissingPackageError(package, manager="pip", why=f"the Python module {module} is not installed")
