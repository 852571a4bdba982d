"""Child process for the hostile-input test: loads each path it is sent and reports how it ended.

Runs under an address-space limit so a memory blow-up shows as a failure instead of hurting the machine.
Protocol: one path per stdin line → one JSON line on stdout {"status": ok|audio_error|other, "detail": ...}.
"""

from __future__ import annotations

import json
import resource
import sys

resource.setrlimit(resource.RLIMIT_AS, (6 << 30, 6 << 30))

from fakescope import AudioError, load_audio  # noqa: E402  (after the limit, so imports count too)
from fakescope.audio import Limits  # noqa: E402

LIMITS = Limits(max_duration_s=600, max_decoded_bytes=256 << 20, max_input_bytes=64 << 20)

for line in sys.stdin:
    path = line.strip()
    if not path:
        continue
    try:
        audio = load_audio(path, limits=LIMITS)
        result = {"status": "ok", "detail": f"{audio.num_samples} samples"}
    except AudioError as exc:
        result = {"status": "audio_error", "detail": str(exc)}
    except BaseException as exc:  # anything else is what the test exists to catch
        result = {"status": "other", "detail": f"{type(exc).__name__}: {exc}"}
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()
