"""`.ci/run` is a newcomer: it runs the README's set-up test command, in a virtual environment of its own."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _setup_blocks() -> list[str]:
    """The shell blocks of the README's set-up section, as a newcomer copies them."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = re.search(r"^##[^\n]*set-up[^\n]*\n(.*?)(?=^## )", text, flags=re.I | re.M | re.S)
    assert section, "the README has no set-up section"
    return [b.strip() for b in re.findall(r"```sh\n(.*?)```", section.group(1), flags=re.S)]


def test_ci_runs_the_readmes_test_command_in_a_new_environment():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    test_command = _setup_blocks()[1]
    install, _, run_tests = test_command.partition(" && ")
    assert install == "python3 -m pip install -e '.[all]'" and run_tests == "python3 -m pytest"
    lines = [line.strip() for line in ci.splitlines()]
    venv, activate = lines.index('python3 -m venv "$venv"'), lines.index('. "$venv/bin/activate"')
    assert venv < activate < lines.index(install) < lines.index(f"{run_tests} || status=$?")
    assert "mktemp -d" in ci and 'rm -rf "$venv"' in ci  # new every run, gone after


def test_ci_fails_when_pytest_collects_nothing():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert 'if [ "$status" -eq 5 ]; then' in ci and "exit 1" in ci.split('if [ "$status" -eq 5 ]; then')[1]
