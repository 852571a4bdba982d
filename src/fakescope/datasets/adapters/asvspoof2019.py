"""ASVspoof 2019 LA and PA: countermeasure protocols plus one flac folder per partition.

Tree (as distributed; ROOT may be the folder holding LA/ and PA/, or LA/ or PA/ itself):
    LA/ASVspoof2019_LA_cm_protocols/ASVspoof2019.LA.cm.{train.trn,dev.trl,eval.trl}.txt
    LA/ASVspoof2019_LA_{train,dev,eval}/flac/UTT_ID.flac
Protocol lines:
    LA: SPEAKER_ID UTT_ID - SYSTEM_ID KEY        e.g. `LA_0039 LA_E_2834763 - A11 spoof`, `LA_0079 LA_T_1138215 - - bonafide`
    PA: SPEAKER_ID UTT_ID ENVIRONMENT_ID ATTACK_ID KEY   e.g. `PA_0079 PA_T_0000001 aaa - bonafide`, `PA_0095 PA_T_0005731 aaa AA spoof`
PA's environment (room size, RT60, talker distance) goes to `condition`; its replay attack id (AA..CC) to `attack`.
"""

from __future__ import annotations

import os
from pathlib import Path

from ...errors import DatasetError
from ..manifest import ManifestRow
from .base import ADAPTERS, Adapter, check_key, protocol_lines, spoof_attack

TRACKS = ("LA", "PA")
PARTITIONS = {"train": "train.trn", "dev": "dev.trl", "eval": "eval.trl"}


@ADAPTERS.register("asvspoof2019")
class ASVspoof2019(Adapter):
    name = "asvspoof2019"
    summary = "ASVspoof 2019 LA/PA: cm protocols and flac folders (ROOT holds LA/ and/or PA/)"
    accepts = frozenset({"subsets"})
    subset_help = "train, dev, eval (default: every partition whose protocol exists)"
    option_help = {"track": "LA or PA (default: every track found under ROOT)"}

    def read(self, root: Path) -> list[ManifestRow]:
        partitions, named = self.chosen_subsets(tuple(PARTITIONS))
        rows: list[ManifestRow] = []
        for track, base in self._tracks(root):
            protocol_dir = base / f"ASVspoof2019_{track}_cm_protocols"
            found = 0
            for partition in partitions:
                protocol = protocol_dir / f"ASVspoof2019.{track}.cm.{PARTITIONS[partition]}.txt"
                if not protocol.is_file():
                    if named:
                        raise DatasetError(f"{protocol}: protocol file not found")
                    self.notes.append(f"{track} {partition}: {protocol} not found, partition skipped")
                    continue
                found += 1
                audio_dir = base / f"ASVspoof2019_{track}_{partition}" / "flac"
                rows.extend(self._read_protocol(protocol, audio_dir, track, partition))
            if not found:
                raise DatasetError(f"{protocol_dir}: none of the {track} protocols ASVspoof2019.{track}.cm.*.txt found")
        return rows

    def _tracks(self, root: Path) -> list[tuple[str, Path]]:
        wanted = self.option("track").upper()
        if wanted and wanted not in TRACKS:
            raise DatasetError(f"asvspoof2019: track must be LA or PA, got {self.option('track')!r}")
        found = []
        for track in (wanted,) if wanted else TRACKS:
            for base in (root / track, root):
                if (base / f"ASVspoof2019_{track}_cm_protocols").is_dir():
                    found.append((track, base))
                    break
            else:
                if wanted:
                    raise DatasetError(f"{root / track / f'ASVspoof2019_{track}_cm_protocols'}: folder not found")
        if not found:
            raise DatasetError(
                f"{root}: no ASVspoof 2019 tree here; expected LA/ASVspoof2019_LA_cm_protocols/ or "
                "PA/ASVspoof2019_PA_cm_protocols/ below it"
            )
        return found

    def _read_protocol(self, protocol: Path, audio_dir: Path, track: str, partition: str) -> list[ManifestRow]:
        if not audio_dir.is_dir() and not self.options.skip_missing:
            raise DatasetError(f"{audio_dir}: audio folder not found (needed by {protocol})")
        present = self.files.names(audio_dir)
        folder = os.fspath(audio_dir)
        source = f"asvspoof2019-{track.lower()}"
        rows = []
        for number, fields in protocol_lines(protocol):
            where = f"{protocol}:{number}"
            if len(fields) != 5:
                raise DatasetError(f"{where}: expected 5 fields (SPEAKER UTT ENV ATTACK KEY), got {len(fields)}")
            speaker, utt_id, environment, attack, key = fields
            label = check_key(key, where)
            name = utt_id + ".flac"
            if name not in present:
                self.missing.add(where, f"{name} not in {audio_dir}")
                continue
            rows.append(ManifestRow(
                utt_id=utt_id,
                path=os.path.join(folder, name),
                label=label,
                speaker=speaker,
                attack=spoof_attack(label, attack),
                source=source,
                split=partition,
                language="en",
                condition="" if track == "LA" else environment,
            ))
        return rows
