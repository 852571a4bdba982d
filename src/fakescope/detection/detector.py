"""`Detector`: the one Python API behind every edge (CLI scan, HTTP service, web page).

Input (path, bytes, file object or (samples, rate)) → native-rate audio for the quality warnings →
16 kHz mono → windows of the model's training crop every half crop (4 s every 2 s by default; shorter audio
padded as in training), scored in batches → window p_fake (calibrated) → file score (mean of
window scores) → verdict: "fake" when p_fake >= fake_above, "real" when p_fake <= real_below, else
"uncertain".
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

from ..audio import Audio, Limits, load_audio, ops, source_name
from ..errors import CheckpointError, ParameterError
from ..evaluation.calibration import Calibration
from .verdict import Verdict, WindowScore
from .warnings import audio_warnings
from .windows import WindowPlan, aggregate_scores, plan_for, speech_segments, window_chunks

SCORE_PIECE_WINDOWS = 64  # four of the default batches of 16

DEFAULT_CHECKPOINT = Path(__file__).resolve().parent.parent / "models" / "default" / "default.safetensors"


@dataclass(frozen=True)
class Thresholds:
    """The uncertain band in calibrated p_fake. Calibration is class-balanced, so 0.5 sits at the EER point."""

    real_below: float = 0.3
    fake_above: float = 0.7

    def __post_init__(self) -> None:
        if not 0.0 < self.real_below <= self.fake_above < 1.0:
            raise ParameterError(f"need 0 < real_below <= fake_above < 1, got {self.real_below}, {self.fake_above}")

    def verdict(self, p_fake: float) -> str:
        if p_fake >= self.fake_above:
            return "fake"
        if p_fake <= self.real_below:
            return "real"
        return "uncertain"


class Detector:
    """Scores audio with a trained pipeline. Build it with `Detector.from_checkpoint(path)`.

    `score_windows` is the scoring function: (N, window_samples) float32 → (N,) scores, higher = bona fide.
    """

    def __init__(
        self,
        score_windows: Callable[[np.ndarray], np.ndarray],
        *,
        calibration: Calibration,
        sample_rate: int = 16000,
        plan: WindowPlan = WindowPlan(),
        thresholds: Thresholds = Thresholds(),
        limits: Limits = Limits(),
        model_name: str = "",
        config: dict[str, Any] | None = None,
        pipeline: torch.nn.Module | None = None,
    ) -> None:
        self.score_windows = score_windows
        self.pipeline = pipeline  # the torch pipeline when there is one (explanations need its gradients/features)
        self.calibration = calibration
        self.sample_rate = sample_rate
        self.plan = plan
        self.thresholds = thresholds
        self.limits = limits
        self.model_name = model_name
        self.config = config or {}

    @classmethod
    def from_checkpoint(
        cls, path: str | os.PathLike | None = None, *, device: str = "cpu", batch_size: int = 16, **options: Any
    ) -> "Detector":
        """Load a .safetensors checkpoint (or an exported .onnx model); None means the shipped default model."""
        path = Path(path) if path is not None else DEFAULT_CHECKPOINT
        if path.suffix == ".onnx":
            from .export import onnx_detector

            return onnx_detector(path, **options)
        if not path.is_file():
            hint = " (the default model is not installed)" if path == DEFAULT_CHECKPOINT else ""
            raise CheckpointError(f"{path}: checkpoint not found{hint}")
        from ..training.checkpoint import load_pipeline

        loaded = load_pipeline(path, device=device)
        if loaded.calibration is None:
            raise CheckpointError(f"{path}: checkpoint has no calibration; evaluate it on a dev set first")
        if loaded.pipeline.frontend is None:
            raise CheckpointError(f"{path}: an image-mode model (no front-end) cannot scan audio")
        pipeline = loaded.pipeline

        @torch.no_grad()
        def score_windows(windows: np.ndarray) -> np.ndarray:
            out = []
            for start in range(0, len(windows), batch_size):
                batch = torch.from_numpy(np.ascontiguousarray(windows[start : start + batch_size])).to(device)
                logits = pipeline(batch).float()  # (B, 2)
                out.append((logits[:, 1] - logits[:, 0]).cpu().numpy())
            return np.concatenate(out).astype(np.float64)

        input_spec = loaded.config.get("input") or {}
        plan = options.pop("plan", None) or plan_for(input_spec)
        return cls(score_windows, calibration=loaded.calibration, sample_rate=pipeline.frontend.sample_rate,
                   plan=plan, model_name=path.name, config=loaded.config, pipeline=pipeline, **options)

    def scan(self, source: Any, *, name: str | None = None) -> Verdict:
        """Score one input. Raises AudioError (naming the input) when it is not usable audio."""
        label = source_name(source, name)
        native = load_audio(source, sample_rate=None, mono=False, limits=self.limits, name=label)
        return self.scan_audio(native, name=label)

    def prepare(self, native: Audio) -> Audio:
        """The audio the model sees: mono at the model's rate."""
        return ops.resample(ops.to_mono(native), self.sample_rate)

    def scan_audio(self, native: Audio, *, name: str = "<array>") -> Verdict:
        """Score an already decoded Audio (any rate and channel count)."""
        warnings = audio_warnings(native)
        audio = self.prepare(native)
        # Each segment of speech between long pauses is windowed as a file of its own (windows.speech_segments),
        # scored piece by piece so a long file's overlapping windows are never all copied out at once; each
        # window's score depends on that window alone (models score in eval mode).
        samples, pieces = audio.samples[0], []
        window = int(round(self.plan.window_s * self.sample_rate))
        for first, last in speech_segments(samples, self.sample_rate, whole_up_to=window):
            for windows, piece_starts in window_chunks(samples[first:last], self.sample_rate, self.plan,
                                                       max_windows=SCORE_PIECE_WINDOWS):
                piece_starts = piece_starts + first / self.sample_rate
                piece_ends = np.minimum(piece_starts + self.plan.window_s, last / self.sample_rate)
                pieces.append((self.score_windows(windows.astype(np.float32, copy=False)), piece_starts, piece_ends))
        scores, starts, ends = (np.concatenate([piece[i] for piece in pieces]) for i in range(3))
        p_fakes = self.calibration.p_fake(scores)
        timeline = [WindowScore(float(s), float(e), float(sc), float(p)) for s, e, sc, p in zip(starts, ends, scores, p_fakes)]
        score = aggregate_scores(scores)
        p_fake = float(self.calibration.p_fake(score))
        return Verdict(source=name, verdict=self.thresholds.verdict(p_fake), p_fake=p_fake, score=score,
                       duration_s=native.duration_s, sample_rate=native.sample_rate, windows=timeline,
                       warnings=warnings, model=self.model_name)
