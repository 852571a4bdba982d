"""Where a run executes: one process on CPU/GPU, or one of many under `torchrun` (DDP), with no code change.

torchrun sets RANK, WORLD_SIZE and LOCAL_RANK; when WORLD_SIZE > 1 we join the process group (NCCL on
GPUs, Gloo on CPU) and each process drives the GPU of its LOCAL_RANK.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist

from ..errors import ParameterError


def resolve_device(device: str = "auto", *, local_rank: int | None = None) -> torch.device:
    """'auto' → the GPU when there is one, else the CPU; under torchrun a GPU is the one of `local_rank`."""
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    try:
        chosen = torch.device(device)
    except RuntimeError:
        raise ParameterError(f"device must be auto, cpu, cuda or cuda:N, got {device!r}") from None
    if chosen.type == "cuda":
        if not torch.cuda.is_available():
            raise ParameterError("device cuda was asked for, but no CUDA GPU is available")
        chosen = torch.device("cuda", local_rank if local_rank is not None else (chosen.index or 0))
        torch.cuda.set_device(chosen)
    elif chosen.type != "cpu":
        raise ParameterError(f"device must be auto, cpu, cuda or cuda:N, got {device!r}")
    return chosen


@dataclass
class Runtime:
    device: torch.device
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @classmethod
    def start(cls, device: str = "auto") -> "Runtime":
        """Pick the device and, under torchrun, join the process group."""
        world_size = int(os.environ.get("WORLD_SIZE", "1"))
        rank = int(os.environ.get("RANK", "0"))
        local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        chosen = resolve_device(device, local_rank=local_rank if world_size > 1 else None)
        if world_size > 1 and not dist.is_initialized():
            dist.init_process_group(backend="nccl" if chosen.type == "cuda" else "gloo")
        return cls(device=chosen, rank=rank, world_size=world_size, local_rank=local_rank)

    def gather(self, value: Any) -> list[Any]:
        """Every rank's `value`, in rank order (just [value] in a single process)."""
        if not self.distributed:
            return [value]
        out: list[Any] = [None] * self.world_size
        dist.all_gather_object(out, value)
        return out

    def barrier(self) -> None:
        if self.distributed:
            dist.barrier()

    def close(self) -> None:
        if self.distributed and dist.is_initialized():
            # Leave together: a rank that tears Gloo down while its peer still holds the connection can make the
            # peer abort (SIGABRT on a closed socket), seen now and then at the end of a two-process CPU run.
            try:
                dist.barrier()
            finally:
                dist.destroy_process_group()
