"""ASVspoof 2021 LA and DF evaluation sets with their keys (`trial_metadata.txt`).

Tree: ROOT holds the audio as extracted, `ASVspoof2021_{LA,DF}_eval/flac/` (DF may stay in its four parts,
`ASVspoof2021_DF_eval_part0N/ASVspoof2021_DF_eval/flac/`), and the keys tarball, e.g.
`LA-keys-full/keys/LA/CM/trial_metadata.txt` (or `--option keys=PATH`). Key lines:
    LA: SPEAKER UTT CODEC TRANSMISSION ATTACK KEY TRIM PHASE
        `LA_0009 LA_E_9332881 alaw ita_tx A07 spoof notrim eval`
    DF: SPEAKER UTT CODEC SOURCE ATTACK KEY TRIM PHASE VOCODER [TASK TEAM GENDER-PAIR LANGUAGE]
        `LA_0023 DF_E_2000011 nocodec asvspoof A14 spoof notrim progress traditional_vocoder - - - -`
Codec and transmission go to `condition` (`alaw/ita_tx`; DF: the codec), DF's vocoder type to `family`;
PHASE (progress, eval, hidden_track) to an extra `phase` column. Every row's split is `eval`.
"""

from __future__ import annotations

import os
from pathlib import Path

from ...errors import DatasetError
from ..manifest import ManifestRow
from .base import ADAPTERS, Adapter, check_key, protocol_lines, spoof_attack

TRACKS = ("LA", "DF")
PHASES = ("progress", "eval", "hidden_track")


def _key_candidates(root: Path, track: str) -> list[Path]:
    name = "trial_metadata.txt"
    return [
        root / f"{track}-keys-full" / "keys" / track / "CM" / name,
        root / "keys" / track / "CM" / name,
        root / f"{track}-keys-stage-1" / "keys" / "CM" / name,
        root / track / "CM" / name,
    ]


@ADAPTERS.register("asvspoof2021")
class ASVspoof2021(Adapter):
    name = "asvspoof2021"
    summary = "ASVspoof 2021 LA/DF eval sets with trial_metadata.txt keys (codec, transmission → condition)"
    accepts = frozenset({"subsets"})
    subset_help = "phases: progress, eval, hidden_track (default: all)"
    option_help = {
        "track": "LA or DF (default: every track whose keys are found)",
        "keys": "path of a trial_metadata.txt (its utterance ids say the track)",
    }

    def read(self, root: Path) -> list[ManifestRow]:
        phases, _ = self.chosen_subsets(PHASES)
        rows: list[ManifestRow] = []
        for track, keys in self._keys(root):
            audio = self._audio_index(root, track, keys)
            rows.extend(self._read_keys(keys, track, audio, set(phases)))
        return rows

    def _keys(self, root: Path) -> list[tuple[str, Path]]:
        wanted = self.option("track").upper()
        if wanted and wanted not in TRACKS:
            raise DatasetError(f"asvspoof2021: track must be LA or DF, got {self.option('track')!r}")
        explicit = self.option("keys")
        if explicit:
            path = Path(explicit)
            track = _track_of(path)
            if wanted and track != wanted:
                raise DatasetError(f"{path}: holds {track} keys, not {wanted}")
            return [(track, path)]
        found = []
        for track in (wanted,) if wanted else TRACKS:
            candidates = _key_candidates(root, track)
            path = next((p for p in candidates if p.is_file()), None)
            if path is not None:
                found.append((track, path))
            elif wanted:
                raise DatasetError(f"{candidates[0]}: {track} keys not found (or pass --option keys=PATH)")
        if not found:
            raise DatasetError(
                f"{root}: no ASVspoof 2021 keys found; expected e.g. {_key_candidates(root, 'LA')[0]} "
                "(the keys tarball from asvspoof.org), or pass --option keys=PATH"
            )
        return found

    def _audio_index(self, root: Path, track: str, keys: Path) -> dict[str, str]:
        """utt file name → folder, over every flac folder of the track (DF ships in four parts)."""
        folder_name = f"ASVspoof2021_{track}_eval"
        folders = [root / folder_name / "flac"]
        try:
            parts = sorted(p for p in os.listdir(root) if p.startswith(folder_name + "_part"))
        except NotADirectoryError:
            parts = []
        folders += [root / part / folder_name / "flac" for part in parts]
        folders += [root / part / "flac" for part in parts]
        index: dict[str, str] = {}
        for folder in folders:
            for name in self.files.names(folder):
                index.setdefault(name, os.fspath(folder))
        if not index and not self.options.skip_missing:
            raise DatasetError(f"{folders[0]}: audio folder not found or empty (needed by {keys})")
        return index

    def _read_keys(self, keys: Path, track: str, audio: dict[str, str], phases: set[str]) -> list[ManifestRow]:
        source = f"asvspoof2021-{track.lower()}"
        rows = []
        for number, fields in protocol_lines(keys):
            where = f"{keys}:{number}"
            if len(fields) < 8:
                raise DatasetError(f"{where}: expected at least 8 fields (SPEAKER UTT CODEC ... KEY TRIM PHASE), got {len(fields)}")
            speaker, utt_id, codec, channel, attack, key, trim, phase = fields[:8]
            if phase not in phases:
                continue
            label = check_key(key, where)
            name = utt_id + ".flac"
            folder = audio.get(name)
            if folder is None:
                self.missing.add(where, f"{name} not in any ASVspoof2021_{track}_eval*/flac folder")
                continue
            extra = {"codec": codec, "trim": trim, "phase": phase}
            if track == "LA":
                condition, family = f"{codec}/{channel}", ""
                extra["transmission"] = channel
            else:
                vocoder = fields[8] if len(fields) > 8 else ""
                condition, family = codec, "" if vocoder in ("bonafide", "-") else vocoder
                extra["corpus"] = channel  # asvspoof (2019 LA eval), vcc2018 or vcc2020
            rows.append(ManifestRow(
                utt_id=utt_id,
                path=os.path.join(folder, name),
                label=label,
                speaker=speaker,
                attack=spoof_attack(label, attack),
                source=source,
                split="eval",
                language="en",
                family=family,
                condition=condition,
                extra=extra,
            ))
        return rows


def _track_of(keys: Path) -> str:
    """LA or DF, read from the utterance ids in a keys file (LA_E_..., DF_E_...)."""
    for number, fields in protocol_lines(keys):
        prefix = fields[1][:2] if len(fields) > 1 else ""
        if prefix in TRACKS:
            return prefix
        raise DatasetError(f"{keys}:{number}: not an ASVspoof 2021 LA or DF key line (utterance {fields[1:2]})")
    raise DatasetError(f"{keys}: keys file is empty")
