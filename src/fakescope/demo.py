"""The end-to-end demo behind the README's main command.

Steps: (1) a speech-like sample and a Griffin-Lim copy of it (copy synthesis: the same words through a
vocoder) with the analyst figure comparing them; (2) the offline corpus (real speech from Debian packages,
spoofs from real synthesisers); (3) the shipped default model evaluated on the corpus's eval split (unseen
speakers and systems): report and plots; (4) the default model scanning example files, with explanations.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Callable

import numpy as np


def griffin_lim_copy(samples: np.ndarray, *, sample_rate: int = 16000, n_iter: int = 32, seed: int = 0) -> np.ndarray:
    """Resynthesise a signal from its STFT magnitude alone (phase by Griffin-Lim), as a vocoder would."""
    import librosa

    magnitude = np.abs(librosa.stft(samples, n_fft=512, hop_length=128))
    rebuilt = librosa.griffinlim(magnitude, n_iter=n_iter, hop_length=128, n_fft=512, length=len(samples),
                                 random_state=np.random.default_rng(seed))
    return rebuilt.astype(np.float32)


def run_demo(out: Path, *, corpus_size: str = "small", checkpoint: Path | None = None, full: bool = True,
             say: Callable[[str], None] = print) -> list[str]:
    """Run every demo step into `out`; returns the lines that tell the user where each result is."""
    from .audio import Audio, save_audio
    from .audio.synthetic import voice_like
    from .features.figures import analysis_figure

    out.mkdir(parents=True, exist_ok=True)
    say("[1/4] analysing a speech-like test signal and a vocoded copy of it")
    sample = voice_like(seconds=4.0, rng=np.random.default_rng(7))
    copy = Audio(griffin_lim_copy(sample.samples[0])[np.newaxis, :], sample.sample_rate)
    sample_path = save_audio(out / "examples" / "sample.wav", sample)
    copy_path = save_audio(out / "examples" / "sample-griffinlim.wav", copy)
    figure = analysis_figure(copy, out / "analysis.png", title=copy_path.name, reference=sample,
                             reference_title=sample_path.name)
    lines = [f"speech-like test signal: {sample_path} (source-filter synthesis)",
             f"vocoded copy:            {copy_path} (Griffin-Lim copy synthesis)",
             f"analyst figure:          {figure}"]
    if not full:
        return lines

    from .datasets.offline.build import build_corpus, build_settings, built_with_other_settings
    from .detection import DEFAULT_CHECKPOINT, Detector
    from .evaluation.run import evaluate_checkpoint

    say(f"[2/4] building the offline corpus ({corpus_size}) from Debian packages and synthesisers")
    corpus_dir = out / "corpus"
    if built_with_other_settings(corpus_dir, build_settings(corpus_size, 0, True)) is not None:
        # The demo's own output, from another size or an older corpus version: rebuilt, never mixed.
        say(f"      {corpus_dir} holds a corpus built with other settings: building it anew")
        shutil.rmtree(corpus_dir)
    build_corpus(out_dir=corpus_dir, size=corpus_size, seed=0, allow_missing=True, workers=2)
    checkpoint = checkpoint or DEFAULT_CHECKPOINT
    say("[3/4] evaluating the default model on the corpus eval split (unseen speakers and systems)")
    metrics, _ = evaluate_checkpoint(checkpoint, out_dir=out / "report", manifest=corpus_dir / "manifest.csv",
                                     splits=["eval"], skip_bad_files=True)
    say("[4/4] scanning example files")
    examples = [sample_path, copy_path] + _corpus_examples(corpus_dir)
    detector = Detector.from_checkpoint(checkpoint)
    from .audio import load_audio
    from .detection.explain import explanation_figure

    results = []
    for path in examples:
        verdict = detector.scan(path)
        results.append(verdict.to_dict())
        explanation_figure(detector, detector.prepare(load_audio(path, sample_rate=None, mono=False)), verdict,
                           out / "explanations" / f"{Path(path).stem}.png")
    (out / "scan.json").write_text(json.dumps({"schema": "fakescope.scan/1", "results": results}, indent=2) + "\n")
    eer = metrics.get("eer")
    lines += [f"offline corpus:          {corpus_dir} (manifest.csv, corpus.json)",
              f"evaluation report:       {out / 'report'} (EER {100 * eer:.2f} % on the eval split)" if eer is not None
              else f"evaluation report:       {out / 'report'}",
              f"scan results:            {out / 'scan.json'}",
              f"explanations:            {out / 'explanations'}"]
    lines += [f"  {Path(r['source']).name:<32} {r['verdict']:<9} p_fake {r['p_fake']:.2f}" for r in results]
    return lines


def _corpus_examples(corpus_dir: Path, per_label: int = 2) -> list[Path]:
    """A few eval-split files of each label, spoofs from systems never seen in training first."""
    from .datasets.manifest import read_manifest

    manifest = read_manifest(corpus_dir / "manifest.csv")
    rows = [r for r in manifest if r.split == "eval"]
    seen = {r.attack for r in manifest if r.split == "train"}
    spoofs = sorted((r for r in rows if not r.is_bonafide), key=lambda r: (r.attack in seen, r.utt_id))
    chosen, systems = [], set()
    for row in spoofs:  # one file per system, unseen systems first
        if row.attack not in systems and len(chosen) < per_label:
            chosen.append(row)
            systems.add(row.attack)
    chosen += [r for r in rows if r.is_bonafide][:per_label]
    return [manifest.resolve(r) for r in chosen]
