"""Planning on generated recording lists: speaker-disjoint splits, eval-only systems, determinism."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from fakescope.datasets.offline import synth
from fakescope.datasets.offline.bonafide import Recording
from fakescope.datasets.offline.plan import SIZES, assign_speakers, plan_corpus
from fakescope.datasets.offline.synth import TTS_SYSTEMS
from fakescope.datasets.offline.vocode import VOCODER_SYSTEMS


@pytest.fixture(autouse=True)
def _espeak_speaks_en_ru(monkeypatch):
    monkeypatch.setattr(synth, "espeak_languages", lambda: frozenset({"en-us", "ru", "it"}))


def _recordings():
    out = []
    speakers = {"asterisk-Allison": "en", "asterisk-June": "fr", "asterisk-Carlo": "it", "asterisk-IvrvoiceRU": "ru",
                "festvox-ru-nsh": "ru", **{f"ktuberling-{i}": "en" for i in range(8)}}
    for speaker, language in speakers.items():
        for index in range(30):
            key = f"{speaker}/{index}"
            out.append(Recording(key, Path(f"/nowhere/{key}.wav"), speaker, language, f"text {index} of {speaker}", "pkg"))
    return out


def _plan(seed=0, size="small"):
    return plan_corpus(_recordings(), size=size, seed=seed, tts=list(TTS_SYSTEMS), vocoders=list(VOCODER_SYSTEMS))


def test_speakers_are_disjoint_across_splits():
    splits_of = defaultdict(set)
    for task in _plan().tasks:
        splits_of[task.speaker].add(task.split)
    assert all(len(s) == 1 for s in splits_of.values()), {k: v for k, v in splits_of.items() if len(v) > 1}


def test_eval_holds_unseen_systems_including_a_vocoder_or_neural():
    plan = _plan()
    seen = {t.system_id for t in plan.tasks if t.split in ("train", "dev") and t.label == "spoof"}
    unseen = {t.system_id for t in plan.tasks if t.split == "eval" and t.label == "spoof"} - seen
    assert len(unseen) >= 3
    families = {t.family for t in plan.tasks if t.system_id in unseen}
    assert families & {"neural", "vocoder"}
    assert len({t.family for t in plan.tasks if t.label == "spoof"}) >= 4
    assert len({t.system_id for t in plan.tasks if t.label == "spoof"}) >= 8


def test_classes_balanced_per_split_and_texts_from_transcripts():
    plan = _plan()
    transcripts = {r.transcript for r in _recordings()}
    for split in ("train", "dev", "eval"):
        bona = sum(t.split == split and t.label == "bonafide" for t in plan.tasks)
        spoof = sum(t.split == split and t.label == "spoof" for t in plan.tasks)
        assert bona > 0 and abs(spoof - bona) <= max(3, bona // 5)
    assert all(t.transcript in transcripts for t in plan.tasks)


def test_unit_selection_voice_never_speaks_its_own_recordings():
    own = {r.transcript for r in _recordings() if r.speaker == "festvox-ru-nsh"}
    s07 = [t for t in _plan().tasks if t.system_id == "S07"]
    assert s07 and not any(t.transcript in own for t in s07)


def test_deterministic_and_seed_dependent():
    ids = [t.utt_id for t in _plan(seed=3).tasks]
    assert ids == [t.utt_id for t in _plan(seed=3).tasks]
    assert len(set(ids)) == len(ids)
    assert set(ids) != {t.utt_id for t in _plan(seed=4).tasks}


def test_assign_speakers_shares():
    speakers = [f"spk{i}" for i in range(20)]
    splits = assign_speakers(speakers, seed=0)
    counts = {s: sum(v == s for v in splits.values()) for s in ("train", "dev", "eval")}
    assert counts == {"train": 10, "dev": 4, "eval": 6}


def test_tiny_preset_is_tiny():
    assert SIZES["tiny"].per_speaker <= 16 and "festvox-ru" not in SIZES["tiny"].sources


def test_an_added_system_leaves_every_other_utterance_as_it_was():
    added = [v for v in VOCODER_SYSTEMS if v.added]
    assert added, "S12 (HiFi-GAN) is drawn on top of the balanced plan"
    plain = [v for v in VOCODER_SYSTEMS if not v.added]
    without = plan_corpus(_recordings(), size="small", seed=0, tts=list(TTS_SYSTEMS), vocoders=plain)
    full = _plan()
    extra = [t for t in full.tasks if t.system_id in {v.system_id for v in added}]
    assert [t for t in full.tasks if t not in extra] == without.tasks
    for system in added:
        mine = [t for t in extra if t.system_id == system.system_id]
        assert {t.split for t in mine} == set(system.splits)
        for split in system.splits:
            bona = sum(t.split == split and t.label == "bonafide" for t in full.tasks)
            assert 0 < sum(t.split == split for t in mine) <= bona // 4
        assert all(t.kind == "vocoder" and t.recording for t in mine)


def test_spoofs_take_the_coding_of_a_bona_fide_recording_of_their_split():
    plan = _plan()
    split_of = {str(t.recording): t.split for t in plan.tasks if t.kind == "bonafide"}
    spoofs = [t for t in plan.tasks if t.label == "spoof"]
    assert spoofs and all(t.channel in split_of and split_of[t.channel] == t.split for t in spoofs)
    assert all(t.channel == t.recording for t in spoofs if t.kind == "vocoder")
    assert all(t.channel == "" for t in plan.tasks if t.kind == "bonafide")
    tts = [t for t in spoofs if t.kind == "tts"]
    assert len({t.channel for t in tts}) > len(tts) // 4  # drawn, not one recording for all
    assert [t.channel for t in _plan().tasks] == [t.channel for t in plan.tasks]  # deterministic


def test_voices_is_a_test_corpus_of_tuxpaint_speakers_only():
    """The voices preset reads none of small/full's sources, so its speakers are unseen by their models."""
    preset = SIZES["voices"]
    assert preset.sources == ("tuxpaint",) and not set(preset.sources) & set(SIZES["full"].sources)
    recordings = [Recording(f"t/{lang}/{i}", Path(f"/nowhere/{lang}{i}.ogg"), f"tuxpaint-{lang}", lang, f"{lang} {i}",
                            "tuxpaint-stamps-default") for lang in ("en", "ru", "it") for i in range(300)]
    plan = plan_corpus(recordings, size="voices", seed=0, tts=list(TTS_SYSTEMS), vocoders=list(VOCODER_SYSTEMS))
    bona = [t for t in plan.tasks if t.label == "bonafide"]
    assert len(bona) == 3 * preset.per_speaker and {t.speaker for t in bona} == {"tuxpaint-en", "tuxpaint-ru", "tuxpaint-it"}
    assert {t.split for t in bona} <= {"train", "dev", "eval"} and any(t.label == "spoof" for t in plan.tasks)
