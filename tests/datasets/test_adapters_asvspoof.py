"""ASVspoof 2019 (LA, PA), 2021 (LA, DF) and 5: miniature trees with protocol lines in the real formats."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from fakescope.datasets.adapters import ImportOptions, import_dataset, read_dataset
from fakescope.datasets.manifest import read_manifest
from fakescope.errors import DatasetError

LA_2019 = {
    "train": ["LA_0079 LA_T_1138215 - - bonafide", "LA_0079 LA_T_1271820 - A01 spoof", "LA_0080 LA_T_1000137 - A02 spoof"],
    "dev": ["LA_0069 LA_D_1047731 - - bonafide", "LA_0070 LA_D_1105538 - A05 spoof"],
    "eval": ["LA_0039 LA_E_2834763 - A11 spoof", "LA_0040 LA_E_1000001 - - bonafide", "LA_0041 LA_E_1000002 - A19 spoof"],
}
PROTOCOL_NAMES = {"train": "train.trn", "dev": "dev.trl", "eval": "eval.trl"}


def make_2019(root: Path, make_audio, write_lines, track: str = "LA", protocols=LA_2019) -> Path:
    for part, lines in protocols.items():
        write_lines(root / track / f"ASVspoof2019_{track}_cm_protocols" / f"ASVspoof2019.{track}.cm.{PROTOCOL_NAMES[part]}.txt", lines)
        for line in lines:
            make_audio(root / track / f"ASVspoof2019_{track}_{part}" / "flac" / f"{line.split()[1]}.flac")
    return root


def by_id(rows):
    return {r.utt_id: r for r in rows}


def test_asvspoof2019_la_all_partitions(tmp_path, make_audio, write_lines):
    root = make_2019(tmp_path / "ASVspoof2019", make_audio, write_lines)
    report = import_dataset("asvspoof2019", root, root / "la.csv")
    assert report.rows == 8 and report.labels == {"bonafide": 3, "spoof": 5}
    manifest = read_manifest(root / "la.csv")
    assert Counter(r.split for r in manifest) == {"train": 3, "dev": 2, "eval": 3}
    row = by_id(manifest)["LA_E_2834763"]
    assert (row.speaker, row.attack, row.label, row.split, row.source, row.language) == (
        "LA_0039", "A11", "spoof", "eval", "asvspoof2019-la", "en")
    assert row.path == "LA/ASVspoof2019_LA_eval/flac/LA_E_2834763.flac"
    assert manifest.resolve(row).is_file()
    assert by_id(manifest)["LA_T_1138215"].attack == "-"
    assert row.duration_s is None  # import never decodes


def test_asvspoof2019_root_may_be_the_la_folder_and_subsets_select(tmp_path, make_audio, write_lines):
    root = make_2019(tmp_path, make_audio, write_lines)
    rows, notes = read_dataset("asvspoof2019", root / "LA", options=ImportOptions(subsets=("dev",)))
    assert sorted(r.utt_id for r in rows) == ["LA_D_1047731", "LA_D_1105538"]
    assert notes == []


def test_asvspoof2019_pa_environment_and_replay_attack(tmp_path, make_audio, write_lines):
    protocols = {"train": ["PA_0079 PA_T_0000001 aaa - bonafide", "PA_0095 PA_T_0005731 aaa AA spoof",
                           "PA_0095 PA_T_0005732 bca CB spoof"]}
    root = make_2019(tmp_path, make_audio, write_lines, track="PA", protocols=protocols)
    rows, notes = read_dataset("asvspoof2019", root)
    rows = by_id(rows)
    assert len(rows) == 3
    assert (rows["PA_T_0005731"].attack, rows["PA_T_0005731"].condition) == ("AA", "aaa")
    assert (rows["PA_T_0000001"].attack, rows["PA_T_0000001"].condition) == ("-", "aaa")
    assert rows["PA_T_0005732"].source == "asvspoof2019-pa"
    assert len(notes) == 2 and "dev" in notes[0] and "eval" in notes[1]  # missing partitions are reported


def test_asvspoof2019_names_the_missing_file_and_line(tmp_path, make_audio, write_lines):
    root = make_2019(tmp_path, make_audio, write_lines)
    (root / "LA" / "ASVspoof2019_LA_dev" / "flac" / "LA_D_1105538.flac").unlink()
    with pytest.raises(DatasetError) as caught:
        read_dataset("asvspoof2019", root)
    message = str(caught.value)
    assert "1 file(s) missing" in message
    assert "ASVspoof2019.LA.cm.dev.trl.txt:2: LA_D_1105538.flac not in" in message
    assert "\n" not in message
    rows, notes = read_dataset("asvspoof2019", root, options=ImportOptions(skip_missing=True))
    assert len(rows) == 7 and "skipped 1 missing file" in notes[0]


def test_asvspoof2019_rejects_malformed_lines_and_missing_trees(tmp_path, make_audio, write_lines):
    root = make_2019(tmp_path, make_audio, write_lines, protocols={"train": ["LA_0079 LA_T_1 - A01 spoof", "LA_0079 LA_T_2 A01 spoof"]})
    with pytest.raises(DatasetError, match=r"train\.trn\.txt:2: expected 5 fields"):
        read_dataset("asvspoof2019", root)
    write_lines(root / "LA" / "ASVspoof2019_LA_cm_protocols" / "ASVspoof2019.LA.cm.train.trn.txt", ["LA_0079 LA_T_1 - A01 fake"])
    with pytest.raises(DatasetError, match=r"train\.trn\.txt:1: key must be bonafide or spoof, got 'fake'"):
        read_dataset("asvspoof2019", root)
    with pytest.raises(DatasetError, match="eval.trl.txt: protocol file not found"):
        read_dataset("asvspoof2019", root, options=ImportOptions(subsets=("eval",)))
    with pytest.raises(DatasetError, match="no ASVspoof 2019 tree here"):
        read_dataset("asvspoof2019", tmp_path / "LA" / "ASVspoof2019_LA_train")
    with pytest.raises(DatasetError, match="PA_cm_protocols: folder not found"):
        read_dataset("asvspoof2019", root, options=ImportOptions(options={"track": "PA"}))
    with pytest.raises(DatasetError, match="has no option 'trak'"):
        read_dataset("asvspoof2019", root, options=ImportOptions(options={"trak": "LA"}))
    with pytest.raises(DatasetError, match="does not take --label-from"):
        read_dataset("asvspoof2019", root, options=ImportOptions(label_rules=("*=spoof",)))


def test_asvspoof2019_missing_audio_folder(tmp_path, write_lines):
    write_lines(tmp_path / "LA" / "ASVspoof2019_LA_cm_protocols" / "ASVspoof2019.LA.cm.train.trn.txt", ["LA_0079 LA_T_1 - A01 spoof"])
    with pytest.raises(DatasetError, match=r"ASVspoof2019_LA_train/flac: audio folder not found \(needed by"):
        read_dataset("asvspoof2019", tmp_path)


LA_2021 = [
    "LA_0009 LA_E_9332881 alaw ita_tx A07 spoof notrim eval",
    "LA_0013 LA_E_5464494 none none bonafide bonafide notrim progress",
    "LA_0020 LA_E_1000003 g722 loc_tx A16 spoof trim hidden_track",
]
DF_2021 = [
    "LA_0023 DF_E_2000011 nocodec asvspoof A14 spoof notrim progress traditional_vocoder - - - -",
    "LA_0043 DF_E_2000026 mp3m4a asvspoof - bonafide notrim eval bonafide - - - -",
    "VCC2TF1 DF_E_2000030 low_m4a vcc2020 Task1-team20 spoof notrim eval neural_vocoder_nonautoregressive Task1 team20 FF E",
]


def test_asvspoof2021_la_condition_phase_and_subsets(tmp_path, make_audio, write_lines):
    write_lines(tmp_path / "LA-keys-full" / "keys" / "LA" / "CM" / "trial_metadata.txt", LA_2021)
    for line in LA_2021:
        make_audio(tmp_path / "ASVspoof2021_LA_eval" / "flac" / f"{line.split()[1]}.flac")
    rows, _ = read_dataset("asvspoof2021", tmp_path)
    rows = by_id(rows)
    assert len(rows) == 3
    spoof = rows["LA_E_9332881"]
    assert (spoof.label, spoof.attack, spoof.condition, spoof.split, spoof.source) == ("spoof", "A07", "alaw/ita_tx", "eval", "asvspoof2021-la")
    assert spoof.extra == {"codec": "alaw", "transmission": "ita_tx", "trim": "notrim", "phase": "eval"}
    bonafide = rows["LA_E_5464494"]
    assert (bonafide.label, bonafide.attack, bonafide.condition) == ("bonafide", "-", "none/none")
    only_eval, _ = read_dataset("asvspoof2021", tmp_path, options=ImportOptions(subsets=("eval",)))
    assert [r.utt_id for r in only_eval] == ["LA_E_9332881"]


def test_asvspoof2021_df_in_parts_with_vocoder_family(tmp_path, make_audio, write_lines):
    keys = write_lines(tmp_path / "DF-keys-full" / "keys" / "DF" / "CM" / "trial_metadata.txt", DF_2021)
    for part, line in zip(("part00", "part01", "part01"), DF_2021):
        make_audio(tmp_path / f"ASVspoof2021_DF_eval_{part}" / "ASVspoof2021_DF_eval" / "flac" / f"{line.split()[1]}.flac")
    rows, _ = read_dataset("asvspoof2021", tmp_path)
    rows = by_id(rows)
    assert len(rows) == 3
    assert (rows["DF_E_2000011"].family, rows["DF_E_2000011"].condition, rows["DF_E_2000011"].attack) == ("traditional_vocoder", "nocodec", "A14")
    assert (rows["DF_E_2000026"].family, rows["DF_E_2000026"].attack, rows["DF_E_2000026"].label) == ("", "-", "bonafide")
    assert rows["DF_E_2000030"].extra["corpus"] == "vcc2020" and rows["DF_E_2000030"].attack == "Task1-team20"
    assert "ASVspoof2021_DF_eval_part01" in rows["DF_E_2000030"].path
    # keys given explicitly: the utterance ids say the track
    explicit, _ = read_dataset("asvspoof2021", tmp_path, options=ImportOptions(options={"keys": str(keys)}))
    assert len(explicit) == 3 and explicit[0].source == "asvspoof2021-df"


def test_asvspoof2021_errors(tmp_path, make_audio, write_lines):
    with pytest.raises(DatasetError, match="no ASVspoof 2021 keys found"):
        read_dataset("asvspoof2021", tmp_path)
    write_lines(tmp_path / "keys" / "LA" / "CM" / "trial_metadata.txt", LA_2021[:1] + ["LA_0009 LA_E_2 alaw ita_tx A07"])
    make_audio(tmp_path / "ASVspoof2021_LA_eval" / "flac" / "LA_E_9332881.flac")
    with pytest.raises(DatasetError, match=r"trial_metadata.txt:2: expected at least 8 fields"):
        read_dataset("asvspoof2021", tmp_path)
    write_lines(tmp_path / "keys" / "LA" / "CM" / "trial_metadata.txt", LA_2021[:2])
    with pytest.raises(DatasetError, match=r"trial_metadata.txt:2: LA_E_5464494.flac not in any ASVspoof2021_LA_eval"):
        read_dataset("asvspoof2021", tmp_path)


ASV5 = {
    "train": ("ASVspoof5.train.tsv", "flac_T", ["T_4850 T_0000000000 F - - - AC3 A05 spoof -",
                                                "T_1138 T_0000000001 M - - - - bonafide bonafide -"]),
    "dev": ("ASVspoof5.dev.track_1.tsv", "flac_D", ["D_0062 D_0000000001 F - - - AC1 A11 spoof -"]),
    "eval": ("ASVspoof5.eval.track_1.tsv", "flac_E_eval", ["E_0001 E_0000000001 M C05 3 12 AC2 A20 spoof -",
                                                          "E_0002 E_0000000002 F - 0 - - bonafide bonafide -"]),
}


def test_asvspoof5_partitions_codecs_and_extras(tmp_path, make_audio, write_lines):
    for protocol, folder, lines in ASV5.values():
        write_lines(tmp_path / "ASVspoof5_protocols" / protocol, lines)
        for line in lines:
            make_audio(tmp_path / folder / f"{line.split()[1]}.flac")
    rows, _ = read_dataset("asvspoof5", tmp_path)
    assert Counter(r.split for r in rows) == {"train": 2, "dev": 1, "eval": 2}
    rows = by_id(rows)
    coded = rows["E_0000000001"]
    assert (coded.attack, coded.condition, coded.speaker, coded.source) == ("A20", "C05/3", "E_0001", "asvspoof5")
    assert coded.extra == {"gender": "M", "codec": "C05", "codec_q": "3", "codec_seed": "12", "attack_tag": "AC2"}
    assert (rows["E_0000000002"].condition, rows["E_0000000002"].attack) == ("none", "-")
    assert (rows["T_0000000000"].attack, rows["T_0000000000"].condition) == ("A05", "none")
    (tmp_path / "flac_D" / "D_0000000001.flac").unlink()
    with pytest.raises(DatasetError, match=r"ASVspoof5.dev.track_1.tsv:1: D_0000000001.flac not in"):
        read_dataset("asvspoof5", tmp_path)
    train, _ = read_dataset("asvspoof5", tmp_path, options=ImportOptions(subsets=("train",)))
    assert len(train) == 2
