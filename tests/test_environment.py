"""pyproject.toml and environment.yml must ask for the same packages with the same versions."""

import re
import sys
from pathlib import Path

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10 is supported: tomli is tomllib's backport (a dev dependency there)
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]


def _specs(lines) -> dict[str, SpecifierSet]:
    found = {}
    for line in lines:
        requirement = Requirement(line.strip())
        found[requirement.name.lower()] = requirement.specifier
    return found


def _pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return project, _specs(project["dependencies"] + project["optional-dependencies"]["dev"])


def _environment():
    text = (ROOT / "environment.yml").read_text()
    dependencies = text.split("dependencies:", 1)[1].splitlines()
    entries = [ln.split("#")[0].strip()[2:] for ln in dependencies if ln.strip().startswith("- ")]
    packages = (e for e in entries if e and not e.startswith("-e") and not e.endswith(":"))
    return entries, _specs(packages)


def test_environment_yml_matches_pyproject():
    _, wanted = _pyproject()
    entries, have = _environment()
    for name, spec in wanted.items():
        assert name in have, f"{name} is in pyproject.toml but not in environment.yml"
        assert have[name] == spec, f"{name}: pyproject {spec} vs environment.yml {have[name]}"
    extra = set(have) - set(wanted) - {"python", "pip"}
    assert not extra, f"environment.yml asks for packages pyproject.toml does not: {extra}"
    assert "-e ." in entries, "environment.yml must install the course package itself"


def test_environment_yml_python_bounds_fit_requires_python():
    project, _ = _pyproject()
    _, have = _environment()
    supported = SpecifierSet(project["requires-python"])
    conda = have["python"]
    lowest = re.fullmatch(r">=(\d+\.\d+)", project["requires-python"])[1]
    assert lowest in conda, f"environment.yml's python {conda} excludes {lowest}"
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert running in supported and running in conda, (running, supported, conda)
    # Every version conda may pick must be one pyproject.toml allows.
    for minor in range(0, 30):
        version = f"3.{minor}"
        assert not (version in conda and version not in supported), version


def test_specs_reads_full_version_ranges():
    specs = _specs(["python>=3.10,<3.14", "sphinx==8.2.3", 'tomli>=2; python_version < "3.11"'])
    assert "3.13" in specs["python"] and "3.14" not in specs["python"]
    assert str(specs["sphinx"]) == "==8.2.3" and str(specs["tomli"]) == ">=2"
