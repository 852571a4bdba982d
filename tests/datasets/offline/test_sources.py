"""Bona fide sources and package lookup on fake package trees made in tmp_path (no Debian package needed)."""

from __future__ import annotations

import gzip
import subprocess

import pytest

from fakescope.datasets.offline import bonafide, packages
from fakescope.datasets.offline.packages import MissingPackageError, PackageStore


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setattr(packages, "is_installed", lambda name: False)
    return PackageStore(tmp_path / "cache", fetch=False)


def _unpacked(store, package, files: dict[str, bytes]):
    root = store.cache_dir / package
    for relative, data in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    (root / ".complete").parent.mkdir(parents=True, exist_ok=True)
    (root / ".complete").touch()


def test_asterisk_reads_transcripts_and_skips_tones(store):
    text = "; Core sounds\n\ndigits/1: one\nbeep: [a beep]\nagent-pass: Please enter your password.\n"
    _unpacked(store, "asterisk-core-sounds-en", {
        "usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz": gzip.compress(text.encode())})
    voice = "usr/share/asterisk/sounds/en_US_f_Allison"
    _unpacked(store, "asterisk-core-sounds-en-g722", {
        f"{voice}/digits/1.g722": b"x", f"{voice}/beep.g722": b"x", f"{voice}/agent-pass.g722": b"x"})
    recordings = bonafide.asterisk(store, "en")
    assert [(r.key.split("/", 1)[1], r.transcript, r.speaker) for r in recordings] == [
        ("agent-pass", "Please enter your password.", "asterisk-Allison"), ("digits/1", "one", "asterisk-Allison")]
    assert recordings[0].source_format == "g722"


def test_festvox_ru_strips_stress_marks(store):
    root = bonafide.FESTVOX_RU_DIR
    _unpacked(store, "festvox-ru", {f"{root}/etc/txt.done.data": '( ru_0001 "Он в+олос." )\n'.encode(),
                                    f"{root}/wav/ru_0001.wav": b"x"})
    (rec,) = bonafide.festvox_ru(store)
    assert rec.transcript == "Он волос." and rec.speaker == "festvox-ru-nsh" and rec.language == "ru"


def test_fillets_speakers_from_dialogue_ids(store):
    lua = 'dialogId("vit-m-hlava", "font_small", "Head.")\ndialogStr("Hlava.")\n' \
          'dialogId("vit-hs-x", "font_statue", "Hi.")\ndialogStr("Ahoj.")\n'
    _unpacked(store, "fillets-ng-data", {"usr/share/games/fillets-ng/script/city/dialogs_cs.lua": lua.encode()})
    _unpacked(store, "fillets-ng-data-cs", {"usr/share/games/fillets-ng/sound/city/cs/vit-m-hlava.ogg": b"x",
                                            "usr/share/games/fillets-ng/sound/city/cs/vit-hs-x.ogg": b"x"})
    (rec,) = bonafide.fillets(store, "cs")
    assert (rec.speaker, rec.transcript, rec.language) == ("fillets-cs-small", "Hlava.", "cs")


def test_tuxpaint_pairs_descriptions_with_their_language_line(store):
    stamps = bonafide.TUXPAINT_STAMPS
    frog = "A frog.\nfr.utf8=Une grenouille.\nhi.utf8=एक मेंढक|\nru.utf8=\n"
    _unpacked(store, "tuxpaint-stamps-default", {
        f"{stamps}/animals/frog.txt": frog.encode(), f"{stamps}/animals/frog.ogg": b"x",  # a sound effect
        f"{stamps}/animals/frog_desc.ogg": b"x", f"{stamps}/animals/frog_desc_fr.ogg": b"x",
        f"{stamps}/animals/frog_desc_hi.ogg": b"x",
        f"{stamps}/animals/frog_desc_ru.ogg": b"x",  # an empty line: nothing to say, left out
        f"{stamps}/animals/toad_desc_fr.ogg": b"x",  # no text file: left out
        f"{stamps}/animals/frog_desc_fr.ogg.ogg": b"x"})  # a stray double suffix: left out
    recordings = bonafide.tuxpaint(store)
    assert [(r.speaker, r.language, r.transcript) for r in recordings] == [
        ("tuxpaint-en", "en", "A frog."), ("tuxpaint-fr", "fr", "Une grenouille."), ("tuxpaint-hi", "hi", "एक मेंढक")]
    assert recordings[1].key == "tuxpaint-stamps-default/animals/frog_desc_fr" and recordings[1].source_format == "ogg"


def test_klettres_and_ktuberling_use_file_names(store):
    _unpacked(store, "klettres-data", {"usr/share/klettres/it/alpha/a.ogg": b"x", "usr/share/klettres/pics/p.png": b""})
    _unpacked(store, "ktuberling-data", {"usr/share/ktuberling/sounds/fr/boucle-d-oreille.wav": b"x",
                                         "usr/share/ktuberling/sounds/fr.soundtheme": b""})
    (letter,) = bonafide.klettres(store)
    (word,) = bonafide.ktuberling(store)
    assert (letter.speaker, letter.transcript, letter.language) == ("klettres-it", "a", "it")
    assert (word.speaker, word.transcript, word.language) == ("ktuberling-fr", "boucle d oreille", "fr")


def test_missing_package_names_the_install_command(store):
    with pytest.raises(MissingPackageError) as info:
        bonafide.klettres(store)
    assert info.value.package == "klettres-data" and "apt-get install klettres-data" in str(info.value)


def test_missing_program_and_module():
    with pytest.raises(MissingPackageError, match="apt-get install no-such-pkg"):
        packages.require_program("no-such-program-fakescope", "no-such-pkg")
    with pytest.raises(MissingPackageError, match="pip install no-such-dist"):
        packages.require_module("no_such_module_fakescope", "no-such-dist")


def test_fetch_unpacks_with_dpkg(tmp_path, monkeypatch):
    """The fetch path on a .deb built here: apt-get download is replaced, dpkg-deb -x is real."""
    import shutil

    if shutil.which("dpkg-deb") is None:
        pytest.skip("dpkg-deb is not available")
    tree = tmp_path / "pkg"
    (tree / "DEBIAN").mkdir(parents=True)
    (tree / "DEBIAN" / "control").write_text(
        "Package: fake-data\nVersion: 1\nArchitecture: all\nMaintainer: t <t@t>\nDescription: t\n")
    (tree / "usr/share/fake").mkdir(parents=True)
    (tree / "usr/share/fake/a.txt").write_text("hello")
    deb = tmp_path / "fake-data_1_all.deb"
    subprocess.run(["dpkg-deb", "--build", str(tree), str(deb)], check=True, capture_output=True)
    real_run = subprocess.run

    def fake_run(command, *args, **kwargs):
        if command[:2] == ["apt-get", "download"]:
            shutil.copy(deb, kwargs["cwd"])
            return subprocess.CompletedProcess(command, 0, "", "")
        return real_run(command, *args, **kwargs)

    monkeypatch.setattr(packages, "is_installed", lambda name: False)
    monkeypatch.setattr(packages.subprocess, "run", fake_run)
    monkeypatch.setattr(packages.shutil, "which", lambda name: f"/usr/bin/{name}")
    store = PackageStore(tmp_path / "cache", fetch=True)
    assert (store.path("fake-data", "usr/share/fake/a.txt")).read_text() == "hello"
    assert (store.cache_dir / "fake-data" / ".complete").is_file()
