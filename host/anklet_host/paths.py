"""Where things are in a checkout: the firmware tree, the board files, Node packages."""

from __future__ import annotations

from pathlib import Path

# host/anklet_host/paths.py -> the checkout's root.
PROJECT_ROOT = Path(__file__).resolve().parents[2]
FIRMWARE_DIR = PROJECT_ROOT / "firmware"
BOARDS_DIR = PROJECT_ROOT / "boards"


def find_node_module(name: str) -> Path | None:
    """The folder of an installed npm package in the checkout's node_modules, or None."""
    candidate = PROJECT_ROOT / "node_modules" / name
    return candidate if (candidate / "package.json").is_file() else None
