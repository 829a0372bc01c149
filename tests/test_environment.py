"""pyproject.toml and environment.yml must ask for the same packages and lower bounds."""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    tomllib = None


def _specs(lines):
    found = {}
    for line in lines:
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)\s*(>=[^,\s]+)?.*", line.strip())
        if match:
            found[match.group(1).lower()] = match.group(2)
    return found


def _pyproject():
    text = (ROOT / "pyproject.toml").read_text()
    if tomllib is None:
        import pytest

        pytest.skip("tomllib needs Python 3.11")
    project = tomllib.loads(text)["project"]
    return project, _specs(project["dependencies"] + project["optional-dependencies"]["dev"])


def _environment():
    text = (ROOT / "environment.yml").read_text()
    dependencies = text.split("dependencies:", 1)[1].splitlines()
    entries = [ln.strip()[2:] for ln in dependencies if ln.strip().startswith("- ")]
    return entries, _specs(e for e in entries if not e.startswith("-e"))


def test_environment_yml_matches_pyproject():
    project, wanted = _pyproject()
    entries, have = _environment()
    for name, bound in wanted.items():
        assert name in have, f"{name} is in pyproject.toml but not in environment.yml"
        assert have[name] == bound, f"{name}: pyproject {bound} vs environment.yml {have[name]}"
    extra = set(have) - set(wanted) - {"python", "pip"}
    assert not extra, f"environment.yml asks for packages pyproject.toml does not: {extra}"
    assert "-e ." in entries, "environment.yml must install the course package itself"
    assert have["python"] == project["requires-python"]
