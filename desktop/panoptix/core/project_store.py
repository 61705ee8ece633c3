"""Opening a project's image list: the table for format 2, a one-time migration for
format 1 (the list inside ``project.json``).

Migration order makes a kill at any point safe: the old file is copied to
``project-v1.json.bak``, the table is built under a temp name and renamed, and only then
is ``project.json`` replaced by its format 2 form. Until that last step the folder is
still a format 1 project, and the next open migrates again from the start.
"""

from __future__ import annotations

from pathlib import Path

from panoptix.core import atomic
from panoptix.core.image_table import TABLE_NAME, ImageTable
from panoptix.core.manifest import LIST_IN_FILE_VERSION, VERSION, Manifest
from panoptix.core.project_layout import MANIFEST_BACKUP, MANIFEST_NAME
from panoptix.core.regular_files import read_regular


def open_image_table(folder: Path, manifest: Manifest, writable: bool, *,
                     writer_may_run: bool = False) -> ImageTable | None:
    """The open table, ``manifest.images`` filled from it. A format 1 manifest is migrated
    first when ``writable``; read-only, it keeps its own list and None is returned.
    ``writer_may_run``: a lock-free reader, while another process may hold the project."""
    if manifest.version <= LIST_IN_FILE_VERSION:
        if not writable:
            return None
        migrate(folder, manifest)
    table = ImageTable.open(folder / TABLE_NAME, writable, writer_may_run=writer_may_run)
    try:
        manifest.images = table.entries()
    except BaseException:
        table.close()
        raise
    return table


def read_images(folder: Path, manifest: Manifest) -> None:
    """Fill a format 2 ``manifest.images`` from the table, reading without a lock."""
    table = open_image_table(folder, manifest, writable=False, writer_may_run=True)
    if table is not None:
        table.close()


def migrate(folder: Path, manifest: Manifest) -> None:
    """Move a format 1 manifest's image list into the table, once (see the module)."""
    manifest_path = folder / MANIFEST_NAME
    try:
        original = read_regular(manifest_path)
    except OSError as exc:
        raise atomic.os_error(exc, "read", manifest_path) from exc
    atomic.write_bytes(folder / MANIFEST_BACKUP, original)
    ImageTable.build(folder / TABLE_NAME, manifest.images)
    atomic.write_json(manifest_path, manifest.to_json(), indent=1)
    manifest.version = VERSION
