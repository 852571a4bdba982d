"""Training: datasets, augmentation, the loop (plain PyTorch, DDP under torchrun) and checkpoints."""

from .checkpoint import LoadedCheckpoint, load_pipeline, read_checkpoint, save_checkpoint
from .config import ExperimentConfig, load_config
from .loop import TrainResult, train
from .pipeline import Pipeline, build_pipeline, pipeline_from_config

__all__ = [
    "ExperimentConfig",
    "LoadedCheckpoint",
    "Pipeline",
    "TrainResult",
    "build_pipeline",
    "load_config",
    "load_pipeline",
    "pipeline_from_config",
    "read_checkpoint",
    "save_checkpoint",
    "train",
]
