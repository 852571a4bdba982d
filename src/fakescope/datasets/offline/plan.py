"""Planning the corpus: which recordings, which spoofs, which split — deterministic for a size and a seed.

Splits are by speaker (a bona fide speaker, or a synthetic voice, lives in one split) and by system: the
eval split holds systems never seen in train/dev, as ASVspoof 2019 LA's eval does. Each planned utterance
is a `Task` whose id depends only on what it is, so an interrupted build resumes where it stopped.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field, replace

import numpy as np

from ...errors import ParameterError
from .bonafide import Recording
from .synth import TTS_SYSTEMS, TtsSystem, Voice, speaks
from .vocode import VOCODER_SYSTEMS, VocoderSystem

SPLITS = ("train", "dev", "eval")
SPLIT_SHARE = {"train": 0.5, "dev": 0.2, "eval": 0.3}
# The speakers with many recordings get a fixed split, so the big sources spread over all three splits.
FIXED_SPLITS = {
    "asterisk-Allison": "train", "asterisk-June": "dev", "asterisk-Carlo": "eval", "asterisk-IvrvoiceRU": "eval",
    "asterisk-Menardi": "dev", "festvox-ru-nsh": "eval",  # nsh is also the voice of the eval-only S07
    "fillets-cs-small": "train", "fillets-cs-big": "eval", "fillets-nl-small": "dev", "fillets-nl-big": "train",
}


@dataclass(frozen=True)
class SizePreset:
    """How much to build: the bona fide sources read, recordings per speaker, and the systems run."""

    sources: tuple[str, ...]
    per_speaker: int | None
    systems: tuple[str, ...] | None = None  # None: every system


ALL_SOURCES = ("asterisk-en", "asterisk-es", "asterisk-fr", "asterisk-it", "asterisk-ru", "asterisk-it-menardi",
               "festvox-ru", "fillets-cs", "fillets-nl", "klettres", "ktuberling")
SIZES = {
    # tiny: the asterisk prompts only (~55 MB of packages) and every system but festival Russian (its voice
    # package is 180 MB): enough for CI to exercise every stage in well under a minute.
    "tiny": SizePreset(sources=ALL_SOURCES[:5], per_speaker=12,
                       systems=("S01", "S02", "S03", "S04", "S05", "S06", "S08", "S09", "S10", "S11", "S12")),
    "small": SizePreset(sources=ALL_SOURCES, per_speaker=30),
    "full": SizePreset(sources=ALL_SOURCES, per_speaker=None),
    # voices: a test corpus of its own, not a larger build. Tux Paint's stamp descriptions, read by volunteers in
    # 12 languages on their own microphones: speakers and recording chains that no other build holds, so a
    # model trained on small or full meets all of it unseen (evaluate it whole, every split). Up to 250 per
    # speaker: the big languages would otherwise outweigh the rest 15:1.
    "voices": SizePreset(sources=("tuxpaint",), per_speaker=250),
}


@dataclass(frozen=True)
class Task:
    """One utterance to produce. kind: "bonafide" (decode `recording`), "tts" (speak `transcript`), "vocoder"."""

    utt_id: str
    split: str
    label: str
    speaker: str
    system_id: str
    system: str
    family: str
    language: str
    transcript: str
    source: str
    kind: str
    recording: str = ""  # path of the bona fide file read (bonafide and vocoder tasks)
    recording_key: str = ""
    voice: str = ""
    seed: int = 0
    channel: str = ""  # a spoof: the bona fide file whose lossy coding it takes on (channel.py); "" for bona fide


@dataclass
class Plan:
    tasks: list[Task]
    speaker_splits: dict[str, str]
    systems: list[dict] = field(default_factory=list)


def _digest(*parts: object) -> str:
    return hashlib.sha1("|".join(str(p) for p in parts).encode("utf-8")).hexdigest()


def utterance_seed(seed: int, utt_id: str) -> int:
    """The seed of one utterance's randomness: independent of build order and worker count."""
    return int(_digest(seed, utt_id)[:12], 16)


def _utt_id(split: str, *parts: object) -> str:
    return f"FS_{split[0].upper()}_{_digest(*parts)[:10]}"


def assign_speakers(speakers: list[str], seed: int) -> dict[str, str]:
    """Speaker → split: the fixed ones from FIXED_SPLITS, the rest shuffled (seeded) into 50/20/30 shares."""
    out = {s: FIXED_SPLITS[s] for s in speakers if s in FIXED_SPLITS}
    rest = sorted(s for s in speakers if s not in FIXED_SPLITS)
    np.random.default_rng(seed).shuffle(rest)
    bounds = np.cumsum([SPLIT_SHARE[s] for s in SPLITS]) * len(rest)
    for index, speaker in enumerate(rest):
        out[speaker] = SPLITS[int(np.searchsorted(bounds, index, side="right"))]
    return out


def select_recordings(recordings: list[Recording], per_speaker: int | None, seed: int) -> list[Recording]:
    """Up to `per_speaker` recordings of each speaker (seeded sample, stable order)."""
    by_speaker: dict[str, list[Recording]] = defaultdict(list)
    for rec in recordings:
        by_speaker[rec.speaker].append(rec)
    rng = np.random.default_rng(seed)
    chosen = []
    for speaker in sorted(by_speaker):
        items = sorted(by_speaker[speaker], key=lambda r: r.key)
        if per_speaker is not None and len(items) > per_speaker:
            picks = rng.choice(len(items), size=per_speaker, replace=False)
            items = [items[i] for i in sorted(picks)]
        chosen.extend(items)
    return chosen


def plan_corpus(recordings: list[Recording], *, size: str, seed: int, tts: list[TtsSystem],
                vocoders: list[VocoderSystem]) -> Plan:
    """Choose the bona fide recordings and the spoofs of every available system, per split."""
    if size not in SIZES:
        raise ParameterError(f"size must be one of {', '.join(SIZES)}, got {size!r}")
    preset = SIZES[size]
    chosen = select_recordings(recordings, preset.per_speaker, seed)
    speaker_splits = assign_speakers(sorted({r.speaker for r in chosen}), seed)
    tasks = [
        _task(speaker_splits[r.speaker], seed, label="bonafide", speaker=r.speaker, system_id="-", system="-",
              family="-", language=r.language, transcript=r.transcript, source=r.package, kind="bonafide",
              recording=str(r.path), recording_key=r.key)
        for r in chosen
    ]
    bonafide_per_split = {s: sum(1 for t in tasks if t.split == s) for s in SPLITS}
    jobs: dict[str, list[tuple[object, Voice | None]]] = {s: [] for s in SPLITS}
    for system in tts:
        for voice in system.voices:
            if any(speaks(system, voice, lang) for lang in {r.language for r in chosen}):
                jobs[voice.split].append((system, voice))
    for vocoder in vocoders:
        if not vocoder.added:
            for split in vocoder.splits:
                jobs[split].append((vocoder, None))
    recordings_of = {split: [r for r in chosen if speaker_splits[r.speaker] == split] for split in SPLITS}
    rng = np.random.default_rng(seed + 1)
    for split in SPLITS:
        if not jobs[split]:
            continue
        # As many spoofs as bona fide utterances in each split, shared evenly by the split's systems/voices.
        base, extra = divmod(bonafide_per_split[split], len(jobs[split]))
        lucky = set(rng.permutation(len(jobs[split]))[:extra].tolist())
        for index, (system, voice) in enumerate(jobs[split]):
            per_job = max(1, base + (index in lucky))
            if voice is None:
                tasks.extend(_vocoder_tasks(system, split, recordings_of[split], per_job, rng, seed))
            else:
                tasks.extend(_tts_tasks(system, voice, chosen, per_job, rng, seed))
    for vocoder in (v for v in vocoders if v.added):
        # The share it would have had among the split's jobs, from a stream of its own (see VocoderSystem.added).
        own = np.random.default_rng([seed + 1, int(vocoder.system_id.lstrip("S"))])
        for split in vocoder.splits:
            count = max(1, bonafide_per_split[split] // (len(jobs[split]) + 1))
            tasks.extend(_vocoder_tasks(vocoder, split, recordings_of[split], count, own, seed))
    tasks = assign_channels(tasks, recordings_of, seed)
    systems = [
        {"id": s.system_id, "name": s.name, "family": s.family, "eval_only": s.eval_only,
         "splits": sorted({t.split for t in tasks if t.system_id == s.system_id}, key=SPLITS.index)}
        for s in sorted([*tts, *vocoders], key=lambda s: s.system_id)
    ]
    return Plan(tasks=tasks, speaker_splits=speaker_splits, systems=systems)


def assign_channels(tasks: list[Task], recordings_of: dict[str, list[Recording]], seed: int) -> list[Task]:
    """Each spoof's channel (channel.py): a vocoder's own recording; for TTS a bona fide recording of its split.

    The draw comes from a stream of its own per utterance, so the choice of utterances stays as it was.
    """
    out = []
    for task in tasks:
        if task.kind == "vocoder":
            task = replace(task, channel=task.recording)
        elif task.kind == "tts" and recordings_of.get(task.split):
            pool = recordings_of[task.split]
            pick = np.random.default_rng([seed + 2, task.seed]).integers(len(pool))
            task = replace(task, channel=str(pool[pick].path))
        out.append(task)
    return out


def _task(split: str, seed: int, **fields) -> Task:
    utt_id = _utt_id(split, fields["label"], fields["system_id"], fields.get("voice", ""),
                     fields.get("recording_key", ""), fields["transcript"], fields["language"])
    return Task(utt_id=utt_id, split=split, seed=utterance_seed(seed, utt_id), **fields)


def _vocoder_tasks(system: VocoderSystem, split: str, recordings: list[Recording], count: int,
                   rng: np.random.Generator, seed: int) -> list[Task]:
    if not recordings:
        return []
    picks = rng.choice(len(recordings), size=min(count, len(recordings)), replace=False)
    return [
        _task(split, seed, label="spoof", speaker=r.speaker, system_id=system.system_id, system=system.name,
              family=system.family, language=r.language, transcript=r.transcript, source=r.package, kind="vocoder",
              recording=str(r.path), recording_key=r.key)
        for r in (recordings[i] for i in sorted(picks))
    ]


def _tts_tasks(system: TtsSystem, voice: Voice, recordings: list[Recording], count: int,
               rng: np.random.Generator, seed: int) -> list[Task]:
    # Texts come from the shipped transcripts, so real and fake share words; never the voice's own recordings
    # (festival's Russian voice must speak text that is not in its database).
    pool = sorted({(r.language, r.transcript) for r in recordings
                   if r.transcript and r.speaker != voice.speaker and speaks(system, voice, r.language)})
    if not pool:
        return []
    picks = rng.choice(len(pool), size=min(count, len(pool)), replace=False)
    source = system.packages[0] if system.packages else "piper-tts"
    return [
        _task(voice.split, seed, label="spoof", speaker=voice.speaker, system_id=system.system_id, system=system.name,
              family=system.family, language=pool[i][0], transcript=pool[i][1], source=voice.package or source,
              kind="tts", voice=voice.name)
        for i in sorted(picks)
    ]


def all_systems() -> list[TtsSystem | VocoderSystem]:
    """Every spoof system, in id order."""
    return sorted([*TTS_SYSTEMS, *VOCODER_SYSTEMS], key=lambda s: s.system_id)
