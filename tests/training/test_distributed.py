"""DDP under torchrun with no code change: two CPU processes (Gloo) train one run; only rank 0 writes."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
import textwrap

from fakescope.training import load_pipeline

SCRIPT = """
import os
from fakescope.training import load_config, train

config = load_config(overrides={{"data.manifest": {manifest!r}, "data.crop_seconds": 0.4, "frontend.with_deltas": False,
                                 "train.epochs": 1, "train.batch_size": 4, "train.device": "cpu"}},
                     names={{"frontend": "lfcc", "model": "lcnn"}})
result = train(config, out_dir={out!r}, show_progress=False)
# One file per rank: the two processes' stdout lines can interleave.
with open({out!r} + "-rank" + os.environ["RANK"], "w") as handle:
    handle.write(f"{{result.epochs_run}} {{result.best_dev_eer}}")
"""


# Now and then one of the two CPU (Gloo) processes dies in native code with "terminate called without an
# active exception" (SIGABRT), although the ranks leave through a barrier and destroy_process_group
# (Runtime.close). Seen in CI before and after that barrier was added, and once in 172 local runs beside a CPU
# hog: there both ranks had printed a line after train() returned, and faulthandler showed the abort with no
# Python frame, at interpreter exit. The run was done and written; what dies is PyTorch's native teardown.
# train() now frees the DDP objects and collects garbage before it destroys the group (the likely cause, after
# pytorch/pytorch#179291); too rare to confirm locally, so the rerun stays until CI shows the abort gone.
# One rerun on that exact signature keeps the test about our code; any other failure, or the abort twice in a
# row, still fails it.
TEARDOWN_ABORT = "terminate called without an active exception"


def _torchrun(script, out):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONFAULTHANDLER": "1"}  # a native abort prints Python stacks
    shutil.rmtree(out, ignore_errors=True)
    return subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", str(script)],
        capture_output=True, text=True, timeout=240, env=env,
    )


def test_torchrun_two_processes(tmp_path, tiny_manifest):
    out = tmp_path / "ddp"
    script = tmp_path / "run.py"
    script.write_text(textwrap.dedent(SCRIPT.format(manifest=str(tiny_manifest), out=str(out))))
    done = _torchrun(script, out)
    if done.returncode != 0 and TEARDOWN_ABORT in done.stderr:
        done = _torchrun(script, out)
    assert done.returncode == 0, done.stderr[:3000] + "\n...\n" + done.stderr[-1500:]
    results = [(tmp_path / f"ddp-rank{rank}").read_text() for rank in (0, 1)]
    assert results[0] == results[1] and results[0].startswith("1 ")  # both ranks saw the same gathered dev EER
    with open(out / "log.csv", newline="") as handle:
        assert len(list(csv.DictReader(handle))) == 1
    assert load_pipeline(out / "model.safetensors").config["model"]["name"] == "lcnn"
