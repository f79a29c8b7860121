"""Creating a store (`cmtk init`): git repository, settings, policy, team and the first store key."""

from __future__ import annotations

from pathlib import Path

from cmtk.errors import CmtkError, UsageError
from cmtk.store import crypto, paths, yamlio
from cmtk.store import session as store_module
from cmtk.store.session import Change, Store
from cmtk.team import roster
from cmtk.team.remotes import configure_copy


def check_target(root: Path, organisation: str, worker: str) -> None:
    """Refuse before anything is created: an existing store, a non-empty folder, a bad name."""
    if (root / ".cmtk").exists():
        raise CmtkError.of("store-already-exists", root=root)
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise CmtkError.of("store-folder-not-empty", root=root)
    if not organisation.strip() or "\n" in organisation:
        raise UsageError.of("org-name-format")
    roster.check_name(worker)


def create_store(
    root: Path,
    *,
    organisation: str,
    me: crypto.KeyPair,
    worker: str,
    role: str = "caseworker",
    county: str | None = None,
    training: bool = False,
) -> Store:
    """Make a new store at `root` (a new or empty folder) with one member: the caller."""
    check_target(root, organisation, worker)
    worker = roster.check_name(worker)
    with paths.new_store_folder(root):
        store = Store(root)
        store.git.init()

        configure_copy(store)

        settings = {
            "format": 1,
            "organisation": organisation.strip(),
            "county": county or "",
            "date_order": "DMY",
            "case_id": {"scheme": "random", "length": 8},
            "training": training,
        }
        members = [roster.Member(name=worker, role=role, public=me.public)]
        store_key = crypto.generate()
        key_text = roster.key_file_text(
            store_key, 1, members, maker=roster.maker_lines(me, 1, store_key.public, members)
        )
        key_data = crypto.encrypt(key_text.encode("utf-8"), [me.recipient])

        header = "# Settings of this store (no personal data here).\n"
        files = {
            store_module.SETTINGS: (header + yamlio.dumps(settings)).encode("utf-8"),
            store_module.POLICY: (paths.defaults_dir() / "policy.yaml").read_bytes(),
            store_module.RECIPIENTS: roster.format_recipients(members).encode("utf-8"),
            ".gitattributes": store_module.GITATTRIBUTES.encode("utf-8"),
            f"{store_module.KEYS_DIR}/1.age": key_data,
        }
        changes = [Change(root / name, data) for name, data in files.items()]
        store.apply(changes, "init store", worker)
        return store
