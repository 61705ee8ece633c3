"""Shortcut presets (labelme-like, the default, and CVAT), user changes kept in preferences,
and conflict detection.

A keymap is ``{action name: (key sequence, ...)}``; what is saved is the preset's name and
only the actions the user changed from it, so a later version's new actions get their
preset keys. Every action is a window-wide shortcut, so two actions on one key would both
be dead (Qt calls it ambiguous): such a keymap is refused until the conflict is resolved.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import replace

from PySide6.QtGui import QKeySequence

from panoptix.gui.actions import SPECS, Actions, ActionSpec, tool_specs, tooltip
from panoptix.gui.prefs import Prefs

Keymap = dict[str, tuple[str, ...]]
DEFAULT_PRESET = "labelme"
PRESET_TITLES = {"labelme": "labelme-like (Panoptix default)", "cvat": "CVAT"}
CVAT: Keymap = {
    "next": ("F",), "previous": ("D",),
    "fit": ("Ctrl+F",),
    "split": ("Alt+M",),
    "lock": ("L",), "relabel": ("Ctrl+L",),
    "crowd": ("Q",),
    "delete": ("Del", "Shift+Del"),
}
"""CVAT's own keys where it has the command (next/previous frame F/D, split Alt+M, lock L,
occluded Q as the closest to crowd, Shift+Del); the rest stays as in the default."""
PREFERENCE_PRESET, PREFERENCE_CHANGES = "shortcuts/preset", "shortcuts/changes"


def all_specs() -> dict[str, ActionSpec]:
    return {spec.name: spec for spec in (*SPECS, *tool_specs())}


def preset(name: str) -> Keymap:
    keymap = {spec.name: spec.shortcuts for spec in all_specs().values()}
    if name == "cvat":
        keymap.update({k: v for k, v in CVAT.items() if k in keymap})
    return keymap


def normalized(sequence: str) -> str:
    return QKeySequence(sequence).toString(QKeySequence.SequenceFormat.PortableText)


def conflicts(keymap: Mapping[str, tuple[str, ...]]) -> dict[str, list[str]]:
    """Each key sequence used by more than one action, with those actions."""
    users: dict[str, list[str]] = defaultdict(list)
    for name, sequences in keymap.items():
        for sequence in {normalized(s) for s in sequences if normalized(s)}:
            users[sequence].append(name)
    return {seq: names for seq, names in users.items() if len(names) > 1}


def saved_keymap(prefs: Prefs) -> tuple[str, Keymap]:
    """The preset and keymap in preferences; a damaged or conflicting entry falls back to
    the preset (a keymap with dead keys is never applied)."""
    name = str(prefs.settings.value(PREFERENCE_PRESET, DEFAULT_PRESET))
    name = name if name in PRESET_TITLES else DEFAULT_PRESET
    keymap = preset(name)
    try:
        changes = json.loads(str(prefs.settings.value(PREFERENCE_CHANGES, "{}")))
    except ValueError:
        changes = {}
    if isinstance(changes, dict):
        for action, sequences in changes.items():
            if action in keymap and isinstance(sequences, list) and all(
                    isinstance(s, str) for s in sequences):
                keymap[action] = tuple(sequences)
    if conflicts(keymap):
        return name, preset(name)
    return name, keymap


def save_keymap(prefs: Prefs, name: str, keymap: Keymap) -> None:
    base = preset(name)
    changes = {k: list(v) for k, v in keymap.items() if k in base and tuple(v) != base[k]}
    prefs.set(PREFERENCE_PRESET, name)
    prefs.set(PREFERENCE_CHANGES, json.dumps(changes, sort_keys=True))
    prefs.settings.sync()


def apply_keymap(actions: Actions, keymap: Mapping[str, tuple[str, ...]]) -> None:
    """Give each action its keys; tooltips name them, as before."""
    specs = all_specs()
    for name, sequences in keymap.items():
        action = actions.actions.get(name)
        if action is None or name not in specs:
            continue
        action.setShortcuts([QKeySequence(s) for s in sequences])
        action.setToolTip(tooltip(replace(specs[name], shortcuts=tuple(sequences))))
