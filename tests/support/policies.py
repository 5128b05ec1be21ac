"""A copy of the policy folder with some front-matter numbers changed, for one test.

The product reads its limits from the policies, so a test that needs another
limit publishes one, as an operator would, instead of overriding a setting.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Mapping
from pathlib import Path

from loyalty.config import PROJECT_ROOT

POLICIES = PROJECT_ROOT / "policies"
# Many redemptions by one member in a day, none sent to review for its pace alone.
LOOSE_COUNTS: Mapping[str, Mapping[str, object]] = {
    "redemption-rules.md": {"max_redemptions_per_day": 1_000},
    "fraud-review.md": {"velocity_max_redemptions_24h": 1_000},
}


def policies_with(target: Path, changes: Mapping[str, Mapping[str, object]]) -> Path:
    """Copy the policies to ``target``, then set ``{file: {parameter: value}}``.

    A value is written as YAML flow text (``100``, ``{bronze: 1, silver: 2}``).

    Raises:
        AssertionError: a named parameter is not in the file's front matter once.
    """
    shutil.copytree(POLICIES, target)
    for name, parameters in changes.items():
        path = target / name
        text = path.read_text()
        for key, value in parameters.items():
            line = re.compile(rf"^(  {re.escape(key)}:) .*$", re.MULTILINE)
            text, count = line.subn(lambda match, v=value: f"{match.group(1)} {v}", text)
            assert count == 1, f"{name} has {count} lines for {key}"
        path.write_text(text)
    return target
