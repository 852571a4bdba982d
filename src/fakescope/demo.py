"""The end-to-end demo behind the README's main command.

It makes a speech-like sample and a Griffin-Lim copy of it (copy synthesis: the same words through a
vocoder, the simplest real spoofing method), writes both, and draws the analyst figure comparing them.
Later stages (offline corpus, default model evaluation, scanning) extend this list of steps.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def griffin_lim_copy(samples: np.ndarray, *, sample_rate: int = 16000, n_iter: int = 32, seed: int = 0) -> np.ndarray:
    """Resynthesise a signal from its STFT magnitude alone (phase by Griffin-Lim), as a vocoder would."""
    import librosa

    magnitude = np.abs(librosa.stft(samples, n_fft=512, hop_length=128))
    rebuilt = librosa.griffinlim(magnitude, n_iter=n_iter, hop_length=128, n_fft=512, length=len(samples),
                                 random_state=np.random.default_rng(seed))
    return rebuilt.astype(np.float32)


def run_demo(out: Path) -> list[str]:
    """Run every demo step into `out`; returns the lines that tell the user where each result is."""
    from .audio import Audio, save_audio
    from .audio.synthetic import voice_like
    from .features.figures import analysis_figure

    out.mkdir(parents=True, exist_ok=True)
    sample = voice_like(seconds=4.0, rng=np.random.default_rng(7))
    copy = Audio(griffin_lim_copy(sample.samples[0])[np.newaxis, :], sample.sample_rate)
    sample_path = save_audio(out / "sample.wav", sample)
    copy_path = save_audio(out / "sample-griffinlim.wav", copy)
    figure = analysis_figure(copy, out / "analysis.png", title=copy_path.name, reference=sample,
                             reference_title=sample_path.name)
    return [
        f"sample recording:        {sample_path}",
        f"vocoded copy (spoof):    {copy_path}",
        f"analyst figure:          {figure}",
    ]
