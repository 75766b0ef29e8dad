"""Reading ``/usr/bin/time -v``'s report (GNU time), shared by the benchmark scripts."""

from __future__ import annotations

import re


def parse_time_v(stderr: str) -> dict[str, float]:
    """Wall, user, system and CPU seconds and the peak resident set (MiB and GiB) from the text that
    ``/usr/bin/time -v`` appends to a command's stderr (``nan`` for a field it did not print)."""

    def grab(label: str) -> str:
        m = re.search(rf"{re.escape(label)}: (.+)", stderr)
        return m.group(1).strip() if m else "nan"

    parts = grab("Elapsed (wall clock) time (h:mm:ss or m:ss)").split(":")
    wall = sum(float(p) * 60**k for k, p in enumerate(reversed(parts))) if parts != ["nan"] else float("nan")
    user, system = float(grab("User time (seconds)")), float(grab("System time (seconds)"))
    rss_kib = float(grab("Maximum resident set size (kbytes)"))
    return {"wall_s": wall, "user_s": user, "system_s": system, "cpu_s": user + system,
            "peak_rss_mib": rss_kib / 1024, "peak_rss_gib": rss_kib / 2**20}
