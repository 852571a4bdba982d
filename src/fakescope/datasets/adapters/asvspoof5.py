"""ASVspoof 5 (track 1): whitespace-separated protocols (despite the .tsv name) and flac_{T,D,E_eval} folders.

Tree: ROOT holds `ASVspoof5_protocols/` (or the protocols themselves) and the extracted audio folders:
    ASVspoof5.train.tsv          → flac_T/
    ASVspoof5.dev.track_1.tsv    → flac_D/
    ASVspoof5.eval.track_1.tsv   → flac_E_eval/ (or flac_E/)
Protocol columns: SPEAKER_ID FLAC_FILE_NAME SPEAKER_GENDER CODEC CODEC_Q CODEC_SEED ATTACK_TAG ATTACK_LABEL KEY TMP
    `T_4850 T_0000000000 F - - - AC3 A05 spoof -`      `T_1138 T_0000000012 M - - - - bonafide bonafide -`
Codec and its quality go to `condition` (`none` for uncoded audio, else e.g. `C05/3`).
"""

from __future__ import annotations

import os
from pathlib import Path

from ...errors import DatasetError
from ..manifest import ManifestRow
from .base import ADAPTERS, Adapter, check_key, find_child, protocol_lines, spoof_attack

PARTITIONS = {
    "train": ("ASVspoof5.train.tsv", ("flac_T",)),
    "dev": ("ASVspoof5.dev.track_1.tsv", ("flac_D",)),
    "eval": ("ASVspoof5.eval.track_1.tsv", ("flac_E_eval", "flac_E")),
}


@ADAPTERS.register("asvspoof5")
class ASVspoof5(Adapter):
    name = "asvspoof5"
    summary = "ASVspoof 5 track 1: ASVspoof5.*.tsv protocols and flac_T/flac_D/flac_E_eval folders"
    accepts = frozenset({"subsets"})
    subset_help = "train, dev, eval (default: every partition whose protocol exists)"
    option_help = {"protocols": "folder holding the ASVspoof5.*.tsv files (default: ROOT/ASVspoof5_protocols or ROOT)"}

    def read(self, root: Path) -> list[ManifestRow]:
        partitions, named = self.chosen_subsets(tuple(PARTITIONS))
        protocol_dir = Path(self.option("protocols")) if self.option("protocols") else self._protocol_dir(root)
        rows: list[ManifestRow] = []
        for partition in partitions:
            file_name, audio_names = PARTITIONS[partition]
            protocol = protocol_dir / file_name
            if not protocol.is_file():
                if named:
                    raise DatasetError(f"{protocol}: protocol file not found")
                self.notes.append(f"{partition}: {protocol} not found, partition skipped")
                continue
            audio_dir = find_child(root, *audio_names)
            if audio_dir is None:
                if not self.options.skip_missing:
                    raise DatasetError(f"{root / audio_names[0]}: audio folder not found (needed by {protocol})")
                audio_dir = root / audio_names[0]
            rows.extend(self._read_protocol(protocol, audio_dir, partition))
        if not rows and not self.missing:
            raise DatasetError(f"{protocol_dir}: none of the ASVspoof 5 protocols ({', '.join(p for p, _ in PARTITIONS.values())}) found")
        return rows

    @staticmethod
    def _protocol_dir(root: Path) -> Path:
        nested = root / "ASVspoof5_protocols"
        return nested if nested.is_dir() else root

    def _read_protocol(self, protocol: Path, audio_dir: Path, partition: str) -> list[ManifestRow]:
        present = self.files.names(audio_dir)
        folder = os.fspath(audio_dir)
        rows = []
        for number, fields in protocol_lines(protocol):
            where = f"{protocol}:{number}"
            if len(fields) < 9:
                raise DatasetError(f"{where}: expected 10 fields (SPEAKER FILE GENDER CODEC CODEC_Q CODEC_SEED "
                                   f"ATTACK_TAG ATTACK_LABEL KEY TMP), got {len(fields)}")
            speaker, utt_id, gender, codec, quality, seed, tag, attack, key = fields[:9]
            label = check_key(key, where)
            name = utt_id + ".flac"
            if name not in present:
                self.missing.add(where, f"{name} not in {audio_dir}")
                continue
            uncoded = codec in ("-", "")
            rows.append(ManifestRow(
                utt_id=utt_id,
                path=os.path.join(folder, name),
                label=label,
                speaker=speaker,
                attack=spoof_attack(label, attack),
                source="asvspoof5",
                split=partition,
                language="en",
                condition="none" if uncoded else (codec if quality in ("-", "") else f"{codec}/{quality}"),
                extra={"gender": gender, "codec": codec, "codec_q": quality, "codec_seed": seed, "attack_tag": tag},
            ))
        return rows
