"""The store's policy (`.cmtk/policy.yaml`) and workflow, over cmtk's defaults.

Defaults live in cmtk/defaults/; a store overrides any key by writing it in
its policy file (mappings are merged key by key, lists and values replaced).
The workflow (steps and gates) can be overridden under `workflow:`.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from cmtk.errors import CmtkError
from cmtk.store import files, paths, yamlio

_DEFAULTS = paths.defaults_dir()
_cache: dict[str, Any] = {}


def _default(name: str) -> dict:
    if name not in _cache:
        path = _DEFAULTS / f"{name}.yaml"
        _cache[name] = yamlio.loads(path.read_text("utf-8"), f"cmtk/defaults/{name}.yaml")
    return copy.deepcopy(_cache[name])


def merge(base: Any, override: Any) -> Any:
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = merge(base.get(key), value) if key in base else value
        return merged
    return override


def load(store_root: Path | None) -> dict:
    """The policy in force: defaults, then the store's `.cmtk/policy.yaml`."""
    policy = _default("policy")
    if store_root is not None:
        text = files.read_inside_text(store_root, ".cmtk/policy.yaml")  # no link, no control characters
        if text is not None:
            data = yamlio.loads(text, ".cmtk/policy.yaml")
            if data is not None and not isinstance(data, dict):
                raise CmtkError.of("policy-not-a-mapping")
            policy = merge(policy, data or {})
    return policy


def workflow(policy: dict) -> dict:
    flow = _default("workflow")
    override = policy.get("workflow") or {}
    if "steps" in override:
        flow["steps"] = override["steps"]
    for step, gates in (override.get("gates") or {}).items():
        flow["gates"][int(step)] = gates
    for part in ("closure", "breakdown", "evidence"):
        if isinstance(override.get(part), dict):
            flow[part] = merge(flow.get(part) or {}, override[part])
    return flow


def workflow_part(policy: dict, part: str) -> dict:
    """One top-level part of the workflow (closure, breakdown, evidence) without copying the whole workflow:
    for code that runs once per case. Read-only."""
    if part not in _cache.setdefault("workflow_parts", {}):
        _cache["workflow_parts"][part] = _default("workflow").get(part) or {}
    override = (policy.get("workflow") or {}).get(part)
    default = _cache["workflow_parts"][part]
    return merge(default, override) if isinstance(override, dict) else default


def get(policy: dict, dotted: str) -> Any:
    value: Any = policy
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            raise CmtkError.of("policy-setting-missing", dotted=dotted)
        value = value[part]
    return value
