"""The README a planner reads to the end, the documentation site that builds, and commands that name files
that exist (in the clone, or in the public data beside it)."""

from __future__ import annotations

import glob
import re
import shlex

import pytest

from .conftest import ROOT

INPUTS = (".yaml", ".yml", ".toml", ".pbf", ".gz", ".bz2", ".tntp", ".ipynb", ".graphml", ".osm")
#: options whose value is a file the command writes, not one it reads
WRITES = {"--out", "-o", "--map"}


PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _commands() -> list[list[str]]:
    text = "\n".join(p.read_text(encoding="utf-8") for p in PAGES)
    out = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split("  #")[0].strip()
            if line.startswith("corridor "):
                out.append(shlex.split(line.replace("[", "").replace("]", "")))
    return out


def test_the_readme_is_short_and_opens_with_what_the_tool_is_for():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) < 250
    quick = "\n".join(lines[: lines.index("## Compare portfolios")])
    assert "make demo" in quick and "make test" in quick and "minutes" in quick
    assert len(_commands()) > 20


def test_the_documentation_site_builds_with_every_link_resolved(tmp_path):
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / "site" / "appraisal" / "index.html").is_file()


@pytest.mark.parametrize("words", _commands(), ids=lambda w: " ".join(w[:3]))
def test_every_file_a_readme_command_reads_exists(words):
    for before, word in zip(["", *words], words, strict=False):
        if before in WRITES or not word.endswith(INPUTS) or word.startswith("-"):
            continue
        if word.startswith("../shared/data/") and not (ROOT.parent / "shared" / "data").is_dir():
            continue  # the public data beside a checkout, which the README names as such
        if "philippines-latest" in word:
            continue  # the reader's own download, named as such
        assert glob.glob(str(ROOT / word)), f"{' '.join(words)}: {word} does not exist"
