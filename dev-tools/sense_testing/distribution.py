"""What each distribution of this repository ships, checked the same way for all of them.

``wheel_packages`` builds a distribution's wheel from its own setup.py (no network, no dependencies) and
returns the top-level packages in it; ``requirements`` reads what an installed distribution requires;
``undeclared_imports`` lists the imports of a distribution's code that its requirements do not cover;
``changelog_versions`` reads the versions of a docs page's changelog;
``connector_problems`` holds a connector directory (metadata.yaml, Dockerfile, setup.py,
acceptance-test-config.yml, icon, docs page) to Airbyte's conventions and to itself.
"""
from __future__ import annotations

import ast
import importlib.metadata
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Dict, Iterable, List, Mapping, Optional, Set

import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from sense_testing.airbyte_metadata import metadata_errors

REPOSITORY = Path(__file__).resolve().parents[2]
DOCS = REPOSITORY / "docs"


def setup_field(directory: Path, field: str) -> str:
    """A literal ``field="value"`` of a distribution's setup.py."""
    match = re.search(rf'^\s*{field}="([^"]+)"', (directory / "setup.py").read_text(), re.MULTILINE)
    if not match:
        raise AssertionError(f"{directory / 'setup.py'}: no literal {field}=")
    return match.group(1)


def wheel_packages(directory: Path) -> Set[str]:
    """The top-level packages (and data directories) of the wheel built from ``directory``'s setup.py.

    Built from a copy of setup.py and the Python packages beside it, without ``build/`` or ``*.egg-info``:
    setuptools reuses a ``build/lib`` it finds, so a file deleted since the last build would be in the wheel."""
    with tempfile.TemporaryDirectory() as work:
        source = Path(work) / "source"
        source.mkdir()
        shutil.copy2(directory / "setup.py", source / "setup.py")
        for package in directory.iterdir():
            if (package / "__init__.py").is_file():
                shutil.copytree(package, source / package.name, ignore=shutil.ignore_patterns("__pycache__"))
        out = Path(work) / "wheel"
        subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                        "--wheel-dir", str(out), str(source)], check=True, capture_output=True, timeout=300)
        (wheel,) = out.glob("*.whl")
        with zipfile.ZipFile(wheel) as archive:
            return {name.split("/")[0] for name in archive.namelist() if not name.split("/")[0].endswith(".dist-info")}


def requirements(distribution: str, extra: Optional[str] = None) -> List[Requirement]:
    """What the installed ``distribution`` requires: without extras, or only for ``extra``."""
    found = [Requirement(line) for line in importlib.metadata.requires(distribution) or []]
    env = {"extra": extra or ""}
    return [r for r in found if (r.marker is None or r.marker.evaluate(env)) and
            (extra is None) == (r.marker is None or "extra" not in str(r.marker))]


def imported_names(source: Path) -> Set[str]:
    """The top-level names a Python file imports absolutely (anywhere in it, functions included)."""
    names: Set[str] = set()
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"), str(source))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def undeclared_imports(directory: Path, distribution: str, packages: Iterable[str],
                       extras: Mapping[str, str] = {}, also: Iterable[str] = ()) -> List[str]:
    """What the modules of ``packages`` (under ``directory``) import that ``distribution`` does not declare.

    A module under a key of ``extras`` (a dotted module or package name) may also use that extra's
    requirements; ``also`` names extras every module may use (e.g. ``tests`` for test directories). The
    standard library and the distribution's own packages need no declaration. Empty when all is declared."""
    own = set(packages)
    providers: Dict[str, List[str]] = importlib.metadata.packages_distributions()
    base = {canonicalize_name(distribution)} | {canonicalize_name(r.name) for r in requirements(distribution)}
    base |= {canonicalize_name(r.name) for extra in also for r in requirements(distribution, extra)}
    problems = []
    for package in sorted(own):
        for source in sorted((directory / package).rglob("*.py")):
            module = ".".join(source.relative_to(directory).with_suffix("").parts)
            allowed = set(base)
            for prefix, extra in extras.items():
                if module == prefix or module.startswith(prefix + "."):
                    allowed |= {canonicalize_name(r.name) for r in requirements(distribution, extra)}
            for name in sorted(imported_names(source) - own - set(sys.stdlib_module_names) - {"__future__"}):
                dists = {canonicalize_name(d) for d in providers.get(name) or [name]}  # not installed: its own name
                if not dists & allowed:
                    problems.append(f"{module} imports {name} ({', '.join(sorted(dists))}),"
                                    f" which {distribution} does not declare for it")
    return problems


def changelog_versions(page: Path) -> List[str]:
    """The versions in the first column of the "## Changelog" table of a docs page, newest first."""
    text = page.read_text()
    if "\n## Changelog\n" not in text:
        raise AssertionError(f"{page.name} has no '## Changelog' section")
    section = text.split("\n## Changelog\n", 1)[1].split("\n## ", 1)[0]
    return [m.group(1) for m in re.finditer(r"^\|\s*(\d+\.\d+\.\d+)\s*\|", section, re.MULTILINE)]


def connector_problems(directory: Path) -> List[str]:
    """How a connector directory breaks Airbyte's conventions or disagrees with itself; empty when it does not."""
    metadata = yaml.safe_load((directory / "metadata.yaml").read_text())
    data = metadata["data"]
    problems = [f"metadata.yaml: {error}" for error in metadata_errors(metadata)]
    version, repository = data["dockerImageTag"], data["dockerRepository"]
    name = repository.split("/", 1)[1]
    base = data["connectorBuildOptions"]["baseImage"]
    if not re.fullmatch(r"docker\.io/airbyte/[a-z-]+:\d+\.\d+\.\d+@sha256:[0-9a-f]{64}", base):
        problems.append(f"metadata.yaml: baseImage {base!r} is not pinned by tag and digest")
    dockerfile = (directory / "Dockerfile").read_text()
    for line in (f"ARG BASE_IMAGE={base}", f"LABEL io.airbyte.version={version}", f"LABEL io.airbyte.name={repository}"):
        if line not in dockerfile.splitlines():
            problems.append(f"Dockerfile lacks {line!r}")
    package = data["remoteRegistries"]["pypi"]["packageName"]
    if setup_field(directory, "name") != package:
        problems.append(f"setup.py name is not metadata's PyPI package {package!r}")
    if setup_field(directory, "version") != version:
        problems.append(f"setup.py version is not dockerImageTag {version}")
    if data["githubIssueLabel"] != name:
        problems.append(f"githubIssueLabel is not {name!r}")
    acceptance = yaml.safe_load((directory / "acceptance-test-config.yml").read_text())
    if acceptance.get("connector_image") != f"{repository}:dev":
        problems.append(f"acceptance-test-config.yml: connector_image is not {repository}:dev")
    icon = directory / data.get("icon", "icon.svg")
    if data.get("icon") != "icon.svg" or not icon.is_file() or "<svg" not in icon.read_text():
        problems.append("no icon.svg (metadata icon: icon.svg)")
    page = DOCS / f"{name}.md"
    if not page.is_file():
        problems.append(f"no docs page docs/{page.name}")
    else:
        text = page.read_text()
        problems += [f"docs/{page.name} does not name {word}" for word in (package, repository) if word not in text]
        if changelog_versions(page)[:1] != [version]:
            problems.append(f"docs/{page.name}: the changelog's newest version is not {version}")
    return problems
