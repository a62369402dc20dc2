"""Log files under construction: lines as field lists, malformed-line injection, rendering to gzip."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from devdata.model import DirtRecord, LandingFile, LinePos, gz

# Tags of lines whose position the dirt record keeps, and the record list each goes to.
_TAGGED = {"malformed": "malformed_lines", "double_encoded": "double_encoded_lines", "partial": "partial_downloads"}


@dataclass
class Line:
    fields: list[str]
    extra: list[str] = field(default_factory=list)  # trailing fields written only in a wide (newer format) file
    tag: str | None = None


@dataclass
class LogFile:
    key: str
    lines: list[Line]
    header: list[str] = field(default_factory=list)
    late: bool = False
    wide: bool = False


def inject_malformed(rng: random.Random, files: list[LogFile], count: int) -> None:
    """Insert `count` truncated copies of real lines (wrong field count) at random positions."""
    candidates = [f for f in files if f.lines]
    for _ in range(count if candidates else 0):
        target = rng.choice(candidates)
        source = rng.choice([line for line in target.lines if line.tag != "malformed"]).fields
        cut = rng.randint(3, len(source) - 5)
        target.lines.insert(rng.randint(0, len(target.lines)), Line(source[:cut], tag="malformed"))


def render(files: list[LogFile], sep: str, record: DirtRecord) -> list[LandingFile]:
    """Join fields and gzip each file; record where the tagged lines ended up."""
    out = []
    for f in files:
        texts = []
        for row, line in enumerate(f.lines, start=1):
            fields = line.fields + line.extra if f.wide and line.tag != "malformed" else line.fields
            texts.append(sep.join(fields) + "\n")
            pos = LinePos(f.key, row + len(f.header), row)
            if line.tag in _TAGGED:
                getattr(record, _TAGGED[line.tag]).append(pos)
            if f.wide and line.tag != "malformed":
                record.wide_lines.append(pos)
        if f.late:
            record.late_files.append(f.key)
        text = "".join(h + "\n" for h in f.header) + "".join(texts)
        out.append(LandingFile(f.key, gz(text), f.late, len(f.lines)))
    return out
