"""Where things are: the store, the identity, the user's config folder.

Resolved in one place, always in the same order: command-line flag, then a
`CMTK_*` environment variable, then a default. Tests point all of them at a
temporary folder.
"""

from __future__ import annotations

import os
from pathlib import Path

from cmtk.errors import StoreNotFound
from cmtk.store import files

STORE_MARKER = ".cmtk"
DEMO_IDENTITY = "demo-identity.txt"
DEMO_STORE = "store"


def expand(path: str | os.PathLike) -> Path:
    """A path the user typed, with `~` made their home folder: Windows' cmd.exe and PowerShell leave `~` in
    the arguments they pass to a program, unlike POSIX shells."""
    return Path(os.path.expanduser(os.fspath(path)))


def is_inside(path: Path, folder: Path) -> bool:
    """`path` is `folder` or lies under it, on the disk's own terms.

    Comparing resolved path strings misses two names for one folder: on macOS's and
    Windows' case-insensitive disks `~/CCI-Store` is `~/cci-store`, and on Windows
    a short (8.3) name is the long one. Each existing parent is asked instead.
    """
    try:
        target = Path(folder).resolve()
        if not target.exists():
            return Path(path).resolve().is_relative_to(target)
        here = Path(path).absolute().resolve()
    except OSError:
        return False
    for candidate in (here, *here.parents):
        try:
            if candidate.exists() and os.path.samefile(candidate, target):
                return True
        except OSError:
            continue
    return False


def config_dir() -> Path:
    """The user's cmtk config folder (CMTK_CONFIG_DIR overrides platformdirs)."""
    override = os.environ.get("CMTK_CONFIG_DIR")
    if override:
        return Path(override)
    from platformdirs import user_config_dir

    return Path(user_config_dir("cmtk", appauthor=False))


def default_identity_path() -> Path:
    return config_dir() / "identity.txt"


def _demo_store_in(folder: Path) -> Path | None:
    """A demo folder holds the store in `store/` and its throwaway identity beside it."""
    candidate = folder / DEMO_STORE
    if (folder / DEMO_IDENTITY).is_file() and (candidate / STORE_MARKER).is_dir():
        return candidate
    return None


def find_store(explicit: str | os.PathLike | None = None, start: Path | None = None) -> Path:
    """`--store`, else CMTK_STORE, else the nearest folder upwards holding `.cmtk/`."""
    chosen = explicit or os.environ.get("CMTK_STORE")
    if chosen:
        path = expand(chosen)
        if (path / STORE_MARKER).is_dir():
            return path.resolve()
        demo = _demo_store_in(path)
        if demo is not None:
            return demo.resolve()
        raise StoreNotFound.of("not-a-store", path=path)
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / STORE_MARKER).is_dir():
            return folder
        demo = _demo_store_in(folder)
        if demo is not None:
            return demo
    raise StoreNotFound.of("store-not-found", here=here)


def _is_training(store: Path) -> bool:
    """Only a TRAINING store may use the throwaway identity beside it (never a real store named `store`)."""

    try:
        return bool(files.read_settings(store).get("training", False))
    except Exception:  # noqa: BLE001 - a store whose settings cannot be read is not a training store
        return False


def identity_path(explicit: str | os.PathLike | None = None, store: Path | None = None) -> Path:
    """`--identity`, else CMTK_IDENTITY, else a demo store's own identity, else the config folder."""
    chosen = explicit or os.environ.get("CMTK_IDENTITY")
    if chosen:
        return expand(chosen)
    if store is not None:
        demo_identity = store.parent / DEMO_IDENTITY
        if store.name == DEMO_STORE and demo_identity.is_file() and _is_training(store):
            return demo_identity
    return default_identity_path()


PACKAGE_DIR = Path(__file__).resolve().parent.parent  # cmtk/


def bundled_dir(name: str) -> Path:
    """`forms/` or `templates/` of the source tree, or the copy bundled inside an installed wheel."""
    package = PACKAGE_DIR
    bundled = package / "_bundled" / name
    return bundled if bundled.is_dir() else package.parent / name


def defaults_dir() -> Path:
    """cmtk's own defaults (workflow, policy, demo cases), which a store's policy overrides."""
    return PACKAGE_DIR / "defaults"


def builtin_forms_dir() -> Path:
    return bundled_dir("forms")


def new_store_folder(root: Path):
    """A context for filling a new or empty folder with a store (init, clone): made owner-only, and left
    as it was found if anything fails on the way."""
    import contextlib
    import shutil

    @contextlib.contextmanager
    def making():
        created = not root.exists()
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            root.chmod(0o700)  # an existing empty folder may let others in (security review, round 1)
            yield root
        except BaseException:
            if created:
                shutil.rmtree(root, ignore_errors=True)
            else:
                for child in root.iterdir():
                    shutil.rmtree(child, ignore_errors=True) if child.is_dir() else child.unlink()
            raise

    return making()
