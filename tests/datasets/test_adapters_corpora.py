"""In-the-Wild, WaveFake, Fake-or-Real and MLAAD (+ M-AILABS): miniature trees in the real layouts."""

from __future__ import annotations

from collections import Counter

import pytest

from fakescope.datasets.adapters import ImportOptions, import_dataset, read_dataset
from fakescope.datasets.manifest import read_manifest
from fakescope.errors import DatasetError


def by_id(rows):
    return {r.utt_id: r for r in rows}


def test_in_the_wild(tmp_path, make_audio, write_lines):
    folder = tmp_path / "release_in_the_wild"
    write_lines(folder / "meta.csv", ["file,speaker,label", "0.wav,Alec Guinness,spoof", "1.wav,Alec Guinness,bona-fide",
                                      "2.wav,Barack Obama,spoof"])
    for name in ("0.wav", "1.wav", "2.wav"):
        make_audio(folder / name)
    report = import_dataset("in-the-wild", tmp_path, tmp_path / "itw.csv", split="eval")
    assert report.labels == {"spoof": 2, "bonafide": 1}
    rows = by_id(read_manifest(tmp_path / "itw.csv"))
    assert (rows["0"].speaker, rows["0"].attack, rows["0"].split, rows["0"].source) == ("Alec Guinness", "unknown", "eval", "in-the-wild")
    assert (rows["1"].label, rows["1"].attack, rows["1"].path) == ("bonafide", "-", "release_in_the_wild/1.wav")
    write_lines(folder / "meta.csv", ["file,speaker,label", "0.wav,A,spoof", "1.wav,A,maybe"])
    with pytest.raises(DatasetError, match=r"meta.csv:3: label must be bona-fide or spoof, got 'maybe'"):
        read_dataset("in-the-wild", folder)
    write_lines(folder / "meta.csv", ["file,speaker,label", "9.wav,A,spoof"])
    with pytest.raises(DatasetError, match=r"meta.csv:2: 9.wav not in"):
        read_dataset("in-the-wild", folder)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match="empty/meta.csv: not found"):
        read_dataset("in-the-wild", tmp_path / "empty")


def make_wavefake(root, make_audio, write_lines, *, with_jsut=True):
    generated = root / "generated_audio"
    for path in ("ljspeech_melgan/LJ001-0001_gen.wav", "ljspeech_melgan/LJ001-0002_gen.wav",
                 "ljspeech_hifiGAN/LJ001-0001_generated.wav", "ljspeech_waveglow/LJ001-0001.wav",
                 "jsut_parallel_wavegan/BASIC5000_0001_gen.wav"):
        make_audio(generated / path)
    make_audio(root / "LJSpeech-1.1" / "wavs" / "LJ001-0001.wav")
    make_audio(root / "LJSpeech-1.1" / "wavs" / "LJ001-0002.wav")
    write_lines(root / "LJSpeech-1.1" / "metadata.csv", ["LJ001-0001|Printing, in the only sense|Printing, in the only sense",
                                                         "LJ001-0002|in being comparatively modern.|in being comparatively modern."])
    if with_jsut:
        make_audio(root / "jsut_ver1.1" / "basic5000" / "wav" / "BASIC5000_0001.wav")
        write_lines(root / "jsut_ver1.1" / "basic5000" / "transcript_utf8.txt", ["BASIC5000_0001:水をマレーシアから買わなくてはならないのです。"])
    return generated


def test_wavefake_vocoders_with_ljspeech_and_jsut(tmp_path, make_audio, write_lines):
    generated = make_wavefake(tmp_path, make_audio, write_lines)
    rows, _ = read_dataset("wavefake", generated)
    assert Counter(r.label for r in rows) == {"spoof": 5, "bonafide": 3}
    rows = by_id(rows)
    hifi = rows["ljspeech_hifiGAN_LJ001-0001"]
    assert (hifi.attack, hifi.speaker, hifi.source, hifi.language, hifi.family) == ("ljspeech_hifiGAN", "LJ", "ljspeech", "en", "neural-vocoder")
    assert hifi.transcript == "Printing, in the only sense" and hifi.extra == {"original": "LJ001-0001"}
    assert rows["ljspeech_waveglow_LJ001-0001"].extra["original"] == "LJ001-0001"
    jsut = rows["jsut_parallel_wavegan_BASIC5000_0001"]
    assert (jsut.language, jsut.speaker, jsut.transcript[:2]) == ("ja", "jsut", "水を")
    assert (rows["LJ001-0002"].label, rows["LJ001-0002"].attack, rows["BASIC5000_0001"].source) == ("bonafide", "-", "jsut")
    # subsets pick vocoder folders; bona fide of the corpora they need comes along
    only, _ = read_dataset("wavefake", tmp_path, options=ImportOptions(subsets=("ljspeech_melgan",)))
    assert sorted(r.utt_id for r in only) == ["LJ001-0001", "LJ001-0002", "ljspeech_melgan_LJ001-0001", "ljspeech_melgan_LJ001-0002"]


def test_wavefake_bonafide_location(tmp_path, make_audio, write_lines):
    data = tmp_path / "data"
    generated = make_wavefake(data, make_audio, write_lines, with_jsut=False)
    with pytest.raises(DatasetError, match=r"jsut_ver1.1: not found; WaveFake's jsut_parallel_wavegan/ needs JSUT"):
        read_dataset("wavefake", generated)
    spoof_only, _ = read_dataset("wavefake", generated, options=ImportOptions(options={"bonafide": "none"}))
    assert {r.label for r in spoof_only} == {"spoof"} and len(spoof_only) == 5
    elsewhere = tmp_path / "corpora" / "jsut_ver1.1"
    make_audio(elsewhere / "basic5000" / "wav" / "BASIC5000_0001.wav")
    rows, _ = read_dataset("wavefake", generated, options=ImportOptions(bonafide_roots=(elsewhere,)))
    assert "BASIC5000_0001" in by_id(rows) and len(rows) == 8
    with pytest.raises(DatasetError, match="neither LJSpeech"):
        read_dataset("wavefake", generated, options=ImportOptions(bonafide_roots=(generated,)))


def make_for(folder, make_audio, names):
    for split in ("training", "validation", "testing"):
        for cls in ("real", "fake"):
            for name in names[cls]:
                make_audio(folder / split / cls / name)


FOR_NAMES = {
    "real": ["file1.wav_16k.wav_norm.wav_mono.wav_silence.wav"],
    "fake": ["file1.mp3.wav_16k.wav_norm.wav_mono.wav_silence.wav", "file2.mp3.wav_16k.wav_norm.wav_mono.wav_silence.wav"],
}


def test_fake_or_real_layouts(tmp_path, make_audio):
    make_for(tmp_path / "for-norm", make_audio, FOR_NAMES)
    make_for(tmp_path / "for-2seconds", make_audio, {"real": ["file9.wav_16k.wav_norm.wav_mono.wav_silence.wav_2sec.wav"],
                                                    "fake": ["file9.mp3.wav_16k.wav_norm.wav_mono.wav_silence.wav_2sec.wav"]})
    make_for(tmp_path / "for-rerecorded" / "for-rerecorded", make_audio, {"real": ["recording1.wav_norm_mono.wav"],
                                                                          "fake": ["recording2.wav_norm_mono.wav"]})
    rows, _ = read_dataset("fake-or-real", tmp_path)
    assert Counter(r.source for r in rows) == {"for-norm": 9, "for-2sec": 6, "for-rerec": 6}
    assert Counter((r.split, r.label) for r in rows if r.source == "for-norm") == {
        ("train", "bonafide"): 1, ("train", "spoof"): 2, ("dev", "bonafide"): 1, ("dev", "spoof"): 2,
        ("eval", "bonafide"): 1, ("eval", "spoof"): 2}
    row = by_id(rows)["for-norm-eval-fake-file2.mp3.wav_16k.wav_norm.wav_mono.wav_silence"]
    assert (row.label, row.attack, row.speaker, row.split) == ("spoof", "unknown", "-", "eval")
    one, _ = read_dataset("fake-or-real", tmp_path / "for-2seconds")
    assert len(one) == 6 and {r.source for r in one} == {"for-2sec"}
    rerec, _ = read_dataset("fake-or-real", tmp_path, options=ImportOptions(subsets=("for-rerec",)))
    assert len(rerec) == 6  # the Kaggle copy nests for-rerecorded/for-rerecorded/
    with pytest.raises(DatasetError, match="for-original layout folder not found"):
        read_dataset("fake-or-real", tmp_path, options=ImportOptions(subsets=("for-original",)))
    for path in (tmp_path / "for-norm" / "testing" / "fake").iterdir():
        path.unlink()
    (tmp_path / "for-norm" / "testing" / "fake").rmdir()
    with pytest.raises(DatasetError, match=r"for-norm/testing/fake: folder not found"):
        read_dataset("fake-or-real", tmp_path / "for-norm")


def make_mlaad(root, make_audio, write_lines):
    header = "path|original_file|language|is_original_language|duration|training_data|model_name|architecture|transcript"
    de = root / "MLAAD" / "fake" / "de" / "tts_models_de_thorsten_vits"
    en = root / "MLAAD" / "fake" / "en" / "facebook_mms-tts-eng"
    write_lines(de / "meta.csv", [
        header,
        "./fake/de/tts_models_de_thorsten_vits/a1.wav|de_DE/by_book/female/eva_k/grune_haus/wavs/grune_haus_01_f000001.wav"
        "|de|True|2.51|thorsten|tts_models/de/thorsten/vits|vits|Das grüne Haus",
        "./fake/de/tts_models_de_thorsten_vits/a2.wav|en_US/by_book/male/elliot_miller/hunters_space/wavs/hunters_space_01_f000001.wav"
        "|de|False|3.00|thorsten|tts_models/de/thorsten/vits|vits|\"\"\"Hunters\"\" of space\"",  # pandas quoting
    ])
    write_lines(en / "meta.csv", [
        header,
        "./fake/en/facebook_mms-tts-eng/b1.wav|en_US/by_book/male/elliot_miller/hunters_space/wavs/hunters_space_01_f000001.wav"
        "|en|True|1.25|mms|facebook/mms-tts-eng|facebook/mms-tts-eng|Hunters of space",
    ])
    for path in (de / "a1.wav", de / "a2.wav", en / "b1.wav"):
        make_audio(path)
    mailabs = root / "m-ailabs"
    make_audio(mailabs / "de_DE/by_book/female/eva_k/grune_haus/wavs/grune_haus_01_f000001.wav")
    write_lines(mailabs / "de_DE/by_book/female/eva_k/grune_haus/metadata.csv", ["grune_haus_01_f000001|Das grüne Haus.|Das grüne Haus."])
    make_audio(mailabs / "en_US/by_book/male/elliot_miller/hunters_space/wavs/hunters_space_01_f000001.wav")
    make_audio(mailabs / "en_US/by_book/mix/some_book/wavs/some_book_01_f000001.wav")
    return root / "MLAAD", mailabs


def test_mlaad_with_referenced_mailabs(tmp_path, make_audio, write_lines):
    mlaad, mailabs = make_mlaad(tmp_path, make_audio, write_lines)
    rows, _ = read_dataset("mlaad", mlaad)
    assert Counter(r.label for r in rows) == {"spoof": 3, "bonafide": 2}
    rows = by_id(rows)
    a1 = rows["de-tts_models_de_thorsten_vits-a1"]
    assert (a1.attack, a1.family, a1.language, a1.speaker, a1.duration_s, a1.source) == (
        "tts_models/de/thorsten/vits", "vits", "de", "eva_k", 2.51, "mlaad")
    assert a1.extra["original"] == "de_DE/by_book/female/eva_k/grune_haus/wavs/grune_haus_01_f000001.wav"
    assert rows["de-tts_models_de_thorsten_vits-a2"].transcript == '"Hunters" of space'
    bona = rows["grune_haus_01_f000001"]
    assert (bona.label, bona.speaker, bona.language, bona.source, bona.transcript) == ("bonafide", "eva_k", "de", "m-ailabs", "Das grüne Haus.")
    assert rows["hunters_space_01_f000001"].speaker == rows["en-facebook_mms-tts-eng-b1"].speaker == "elliot_miller"
    every, _ = read_dataset("mlaad", mlaad, options=ImportOptions(options={"bonafide": "all"}))
    assert Counter(r.label for r in every) == {"spoof": 3, "bonafide": 3}
    assert by_id(every)["some_book_01_f000001"].speaker == "en_US-mix"
    german, _ = read_dataset("mlaad", mlaad, options=ImportOptions(subsets=("de",), bonafide_roots=(mailabs,)))
    assert Counter(r.label for r in german) == {"spoof": 2, "bonafide": 2}


def test_mlaad_errors(tmp_path, make_audio, write_lines):
    mlaad, mailabs = make_mlaad(tmp_path / "x", make_audio, write_lines)
    (mailabs / "de_DE/by_book/female/eva_k/grune_haus/wavs/grune_haus_01_f000001.wav").unlink()
    with pytest.raises(DatasetError, match=r"fake/de/tts_models_de_thorsten_vits/meta.csv:2: original_file de_DE/.*grune_haus_01_f000001.wav not under"):
        read_dataset("mlaad", mlaad)
    mailabs.rename(tmp_path / "elsewhere")
    with pytest.raises(DatasetError, match="MLAAD holds spoofs only"):
        read_dataset("mlaad", mlaad)
    spoof_only, _ = read_dataset("mlaad", mlaad, options=ImportOptions(options={"bonafide": "none"}))
    assert len(spoof_only) == 3
    (mlaad / "fake" / "en" / "facebook_mms-tts-eng" / "b1.wav").unlink()
    with pytest.raises(DatasetError, match=r"facebook_mms-tts-eng/meta.csv:2: b1.wav not in"):
        read_dataset("mlaad", mlaad, options=ImportOptions(options={"bonafide": "none"}))
    with pytest.raises(DatasetError, match="fake: not found"):
        read_dataset("mlaad", tmp_path)
