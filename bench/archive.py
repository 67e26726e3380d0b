"""A long archive, made quickly: one built episode folder copied under N slugs and dates, as a daily
show's output folder looks after N days (the same takes under N dates).

`python bench/archive.py TEMPLATE OUT N` copies the built episode folder TEMPLATE (with its report.json,
qa.json and MP3s; its published/ folder is left out) to OUT/day-0001 ... OUT/day-N, each with its own slug,
title, date and guid, its files renamed after its slug.  The MP3s are hard links (the same bytes, so QA's
verdict on them still holds); nothing is rewritten in place later, so the links are safe.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sys
import uuid
from pathlib import Path

FIRST_DAY = dt.date(2024, 1, 1)


def _renamed(name: str, old: str, new: str) -> str:
    return new + name[len(old):] if name.startswith(old) else name


def copy_episode(template: Path, target: Path, number: int) -> None:
    """*template* as the episode of day *number*: a folder of its own, every name and id its own."""
    old = template.name
    new = target.name
    target.mkdir(parents=True)
    for path in template.iterdir():
        if path.name == "published":
            continue
        dest = target / _renamed(path.name, old, new)
        if path.is_dir():
            shutil.copytree(path, dest, copy_function=os.link)
        elif path.name == "report.json":
            continue
        else:
            os.link(path, dest)
    record = json.loads((template / "report.json").read_text(encoding="utf-8"))
    day = FIRST_DAY + dt.timedelta(days=number - 1)
    episode = record["episode"]
    episode.update(slug=new, title=f"Day {number}: {episode['title']}", date=day.isoformat(),
                   file=_renamed(episode["file"], old, new), episode=number)
    record["guid"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"audiopipe-bench:{new}"))
    for edition in record.get("editions", []):
        for key in ("file", "transcript", "chapters_file"):
            edition[key] = _renamed(edition[key], old, new)
        edition["guid"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"audiopipe-bench:{new}:{edition['lang']}"))
    (target / "report.json").write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def make_archive(template: Path, out: Path, count: int) -> list[Path]:
    """OUT/day-0001 ... OUT/day-COUNT, copies of *template* (folders already there are kept)."""
    made = []
    for number in range(1, count + 1):
        target = out / f"day-{number:04d}"
        if not target.is_dir():
            copy_episode(template, target, number)
        made.append(target)
    return made


if __name__ == "__main__":
    made = make_archive(Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]))
    print(f"{len(made)} episodes in {sys.argv[2]}")
