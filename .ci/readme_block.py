"""Print the README's N-th ```bash block of the "Start here" section (1-based), for CI.

CI runs what this prints, so the README's commands are the ones tested: change them there.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path


def blocks(readme: str) -> list[str]:
    section = readme.split("## Start here", 1)[1].split("\n## ", 1)[0]
    return [b.strip() for b in re.findall(r"```bash\n(.*?)```", section, flags=re.S)]


if __name__ == "__main__":
    found = blocks((Path(__file__).resolve().parents[1] / "README.md").read_text())
    n = int(sys.argv[1])
    if not 1 <= n <= len(found):
        sys.exit(f"README.md 'Start here' has {len(found)} bash blocks, not {n}.")
    print(found[n - 1])
