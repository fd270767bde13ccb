"""Reading tariff directories: YAML -> validated documents, with errors a person can act on.

A broken file is refused with its name, the path inside it, the line and what is wrong. Every file is
checked before any is refused, so one run lists every problem. Directories are layered: a user's
directory (flag or `RATECALC_TARIFFS`) is read after the built-in one, and a group set with the same id
replaces the built-in one. A service with the same id takes over from the date its own versions start:
older versions of the lower layer are kept (the one in force on that date ends the day before), so an
imported rate sheet dated 2026-12-01 continues the built-in history instead of erasing it. A service whose
versions have no start date replaces the lower one entirely.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Iterable, Mapping, Optional, Union

from pydantic import ValidationError

from ..errors import TariffError, TariffProblem
from .compact_schema import WrittenCarrierFile, is_compact, parse_written
from .group_rules import expand_carrier
from .schema import CarrierFile, GroupsFile, Service, parse_document

ENV_VAR = "RATECALC_TARIFFS"

# The YAML readers live in `yamlload` and are imported on first use: a start that reads the
# compiled-tariff cache never parses YAML, so it does not import PyYAML. The old names stay importable here.
_YAML_NAMES = ("load_decimal_yaml", "_DecimalLoader", "_FastDecimalLoader")


def __getattr__(name: str) -> Any:
    if name in _YAML_NAMES:
        from . import yamlload

        return getattr(yamlload, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def builtin_dir() -> Path:
    """The tariffs shipped with the package (wheel) or beside it (source checkout)."""
    package = Path(__file__).resolve().parent.parent  # ratecalc/
    packaged = package / "_tariffs"
    if packaged.is_dir():
        return packaged
    return package.parent / "tariffs"


def _format_loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _clean_loc(loc: tuple) -> tuple:
    """Drop pydantic's union-branch tags (`carrier`, `shipment_groups`, a service's `full` / `compact` form)
    from an error location."""
    tags = ("carrier", "shipment_groups", "full", "compact")
    return tuple(p for p in loc if p not in tags or not isinstance(p, str))


@dataclass(frozen=True)
class LoadedFile:
    path: Path
    layer: int
    sha256: str
    document: Union[CarrierFile, GroupsFile]


# The scale a tariff set is built and measured for (docs/limits.md): beyond it a load is refused, not slowed.
MAX_FILE_BYTES = 8 << 20
"""One tariff file (the largest built-in one is 39 KB)."""
MAX_VERSIONS = 200
"""Versions of one service (the built-in set has at most 5; a check of 250 takes ~3 s, of 2,000 ~10 s)."""
MAX_SERVICES = 2_000
"""Services in one tariff set (the built-in set has 85; a check of 1,000 takes ~2.5 s)."""


def _scale_problems(data: dict, name: str, text: str) -> list[TariffProblem]:
    """A file past MAX_VERSIONS per service or MAX_SERVICES, refused before it is validated."""
    services = data.get("services")
    if not isinstance(services, list):
        return []
    problems = []
    if len(services) > MAX_SERVICES:
        problems.append(
            TariffProblem(
                name, "services", f"{len(services):,} services; a tariff set may have at most {MAX_SERVICES:,}"
            )
        )
    for i, service in enumerate(services):
        versions = service.get("versions") if isinstance(service, dict) else None
        if isinstance(versions, list) and len(versions) > MAX_VERSIONS:
            from .yamlload import line_map

            problems.append(
                TariffProblem(
                    name,
                    f"services[{i}].versions",
                    f"{len(versions):,} versions; a service may have at most {MAX_VERSIONS}",
                    line_map(text).get(("services", i, "versions")),
                )
            )
    return problems


@dataclass(frozen=True)
class ReadFile:
    """A file read as YAML, not yet validated: its text stays for the line numbers of any problem."""

    path: Path
    layer: int
    sha256: str
    text: str
    data: dict

    def problem(self, loc: tuple, message: str) -> TariffProblem:
        """A problem at `loc` (keys and indices), on the line of the deepest part of it the file has."""
        from .yamlload import line_map

        lines = line_map(self.text)
        line = next((lines[loc[:cut]] for cut in range(len(loc), -1, -1) if loc[:cut] in lines), None)
        return TariffProblem(str(self.path), _format_loc(loc), message, line)

    def invalid(self, exc: ValidationError) -> list[TariffProblem]:
        return [
            self.problem(_clean_loc(tuple(err["loc"])), err["msg"].removeprefix("Value error, "))
            for err in exc.errors()
        ]


def read_file(path: Path, layer: int = 0) -> tuple[Optional[ReadFile], list[TariffProblem]]:
    """Read one file as YAML; never raises for content problems."""
    from .safefile import UnreadableFile, read_regular

    name = str(path)
    try:
        raw = read_regular(path, MAX_FILE_BYTES, "tariff file")  # a FIFO or /dev/zero is refused, never read
        text = raw.decode("utf-8")
    except UnreadableFile as exc:
        return None, [TariffProblem(name, "", exc.reason)]
    except UnicodeDecodeError as exc:
        return None, [TariffProblem(name, "", f"cannot read file: {exc}")]
    import yaml

    from .yamlload import DataError, load_decimal_yaml

    try:
        data = load_decimal_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        prefix = "" if isinstance(exc, DataError) else "not valid YAML: "
        return None, [TariffProblem(name, "", f"{prefix}{problem}", line)]
    if not isinstance(data, dict):
        return None, [TariffProblem(name, "", "a tariff file must be a mapping at the top level", 1)]
    too_big = _scale_problems(data, name, text)
    if too_big:
        return None, too_big
    return ReadFile(path, layer, hashlib.sha256(raw).hexdigest(), text, data), []


def validate_file(
    read: ReadFile, group_sets: Mapping[str, GroupsFile] = MappingProxyType({})
) -> tuple[Optional[LoadedFile], list[TariffProblem]]:
    """Validate a read file; a carrier file with compact services (`group_rules`) is expanded first with the
    rules of `group_sets` (id -> the shipment_groups set of the load), then validated in full."""
    data = read.data
    if is_compact(data):
        try:
            written = parse_written(data)
        except ValidationError as exc:
            return None, read.invalid(exc)
        assert isinstance(written, WrittenCarrierFile)  # is_compact: a carrier file
        data, failures = expand_carrier(written, group_sets)
        if failures:
            return None, [read.problem(loc, message) for loc, message in failures]
    try:
        document = parse_document(data)
    except ValidationError as exc:
        return None, read.invalid(exc)
    return LoadedFile(read.path, read.layer, read.sha256, document), []


def parse_file(
    path: Path, layer: int = 0, group_sets: Mapping[str, GroupsFile] = MappingProxyType({})
) -> tuple[Optional[LoadedFile], list[TariffProblem]]:
    """Read and validate one file; never raises for content problems."""
    read, problems = read_file(path, layer)
    return (None, problems) if read is None else validate_file(read, group_sets)


def tariff_dirs(extra: Iterable[Union[str, Path]] = (), *, builtin: bool = True) -> list[Path]:
    """Built-in dir first, then `RATECALC_TARIFFS` (os.pathsep-separated), then explicit dirs."""
    dirs: list[Path] = [builtin_dir()] if builtin else []
    env = os.environ.get(ENV_VAR, "")
    dirs += [Path(p) for p in env.split(os.pathsep) if p]
    dirs += [Path(p) for p in extra]
    return dirs


@dataclass
class TariffDocuments:
    """Every validated document of a layered load, with the winners of id clashes resolved."""

    files: list[LoadedFile] = field(default_factory=list)
    services: list[tuple[CarrierFile, Service, LoadedFile]] = field(default_factory=list)
    groups: list[tuple[GroupsFile, LoadedFile]] = field(default_factory=list)

    def for_scheme(self, scheme: str) -> TariffDocuments:
        """The same documents with only the services of one scheme (rfbs or fbp); files and groups as they are."""
        return TariffDocuments(self.files, [t for t in self.services if t[1].scheme == scheme], self.groups)

    @property
    def checksum(self) -> str:
        digest = hashlib.sha256()
        for f in self.files:
            digest.update(f"{f.layer}:{f.path.name}:{f.sha256}\n".encode())
        return digest.hexdigest()


def layer_service(lower: Service, upper: Service) -> Service:
    """`upper` (a later layer) takes over from the first date its versions cover; `lower` keeps the past."""
    start = min((v.effective_from or dt.date.min) for v in upper.versions)
    if start == dt.date.min:
        return upper
    kept = []
    for version in lower.versions:
        if (version.effective_from or dt.date.min) >= start:
            continue
        if version.effective_until is None or version.effective_until >= start:
            version = version.model_copy(update={"effective_until": start - dt.timedelta(days=1)})
        kept.append(version)
    return upper.model_copy(update={"versions": kept + list(upper.versions)})


def load_documents(dirs: Iterable[Union[str, Path]]) -> TariffDocuments:
    """Parse every `*.yaml` under each dir (layer = position); raise TariffError listing all problems.

    The shipment_groups files are validated first: a compact carrier file takes its group rules from the
    set of that id in force for the whole load (a later layer's set replaces an earlier one).
    """
    problems: list[TariffProblem] = []
    out = TariffDocuments()
    reads: list[ReadFile] = []
    for layer, directory in enumerate(Path(d) for d in dirs):
        if not directory.is_dir():
            problems.append(TariffProblem(str(directory), "", "not a directory"))
            continue
        for path in sorted(p for p in directory.iterdir() if p.suffix in (".yaml", ".yml")):
            read, found = read_file(path, layer)
            problems += found
            if read is not None:
                reads.append(read)
    results: dict[int, tuple[Optional[LoadedFile], list[TariffProblem]]] = {}
    group_sets: dict[str, GroupsFile] = {}
    for i, read in enumerate(reads):
        if read.data.get("kind") == "shipment_groups":
            results[i] = validate_file(read)
            groups = results[i][0]
            if groups is not None and isinstance(groups.document, GroupsFile):
                group_sets[groups.document.id] = groups.document
    for i, read in enumerate(reads):
        if i not in results:
            results[i] = validate_file(read, group_sets)
    for i in range(len(reads)):
        loaded, found = results[i]
        problems += found
        if loaded is not None:
            out.files.append(loaded)
    if not out.files and not problems:
        problems.append(TariffProblem(", ".join(map(str, dirs)), "", "no tariff files found"))

    by_service: dict[str, tuple[CarrierFile, Service, LoadedFile]] = {}
    by_group: dict[str, tuple[GroupsFile, LoadedFile]] = {}
    for loaded in out.files:
        doc = loaded.document
        if isinstance(doc, CarrierFile):
            for service in doc.services:
                prev = by_service.get(service.id)
                if prev is not None and prev[2].layer == loaded.layer:
                    problems.append(
                        TariffProblem(
                            str(loaded.path),
                            "services",
                            f"service id {service.id!r} is also defined in {prev[2].path.name}",
                        )
                    )
                if prev is not None and prev[2].layer < loaded.layer:
                    service = layer_service(prev[1], service)
                by_service[service.id] = (doc, service, loaded)
        else:
            prev_g = by_group.get(doc.id)
            if prev_g is not None and prev_g[1].layer == loaded.layer:
                problems.append(TariffProblem(str(loaded.path), "id", f"group set {doc.id!r} is defined twice"))
            by_group[doc.id] = (doc, loaded)
    if len(by_service) > MAX_SERVICES:
        problems.append(
            TariffProblem(
                ", ".join(map(str, dirs)),
                "",
                f"{len(by_service):,} services; a tariff set may have at most {MAX_SERVICES:,}",
            )
        )
    if problems:
        raise TariffError(problems)
    out.services = list(by_service.values())
    out.groups = list(by_group.values())
    return out
