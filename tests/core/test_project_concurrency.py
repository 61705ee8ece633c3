"""The GUI saves on one thread while a background worker saves other images: every save
lands whole, the manifest keeps every change, and nothing is left over."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

from panoptix.core import atomic
from panoptix.core.project import ImageStatus, Project


def test_gui_and_worker_saving_at_once_lose_nothing(project: Project, painted,
                                                    photos: Path) -> None:
    gui_key, *worker_keys = [e.key for e in project.images]
    last_gui = {}
    barrier = threading.Barrier(3)

    def gui() -> None:
        barrier.wait()
        for seed in range(12):
            last_gui["doc"] = painted(seed=seed)
            project.save_document(gui_key, last_gui["doc"])

    def worker() -> None:
        barrier.wait()
        for key in worker_keys:
            project.save_document(key, painted(seed=100 + len(key)),
                                  status=ImageStatus.PRESEGMENTED, model="m",
                                  uncertainty=len(key) / 100)

    def adder() -> None:
        barrier.wait()
        for index in range(6):
            Image.new("RGB", (8, 8)).save(photos / f"late{index}.png")
            project.add_images([photos / f"late{index}.png"])
            project.set_status(worker_keys[0], ImageStatus.PRESEGMENTED)

    threads = [threading.Thread(target=f) for f in (gui, worker, adder)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    project.close()

    with Project.open(project.folder) as reopened:
        assert len(reopened.images) == 10
        np.testing.assert_array_equal(reopened.load_document(gui_key).id_map,
                                      last_gui["doc"].id_map)
        assert reopened.entry(gui_key).status == ImageStatus.EDITED
        for key in worker_keys:
            entry = reopened.entry(key)
            assert (entry.status, entry.uncertainty) == (ImageStatus.PRESEGMENTED,
                                                         len(key) / 100)
            np.testing.assert_array_equal(reopened.load_document(key).id_map,
                                          painted(seed=100 + len(key)).id_map)
        annotations = os.listdir(reopened.folder / "annotations")
        assert len(annotations) == 8  # one JSON and one PNG per saved image
        assert not [n for n in os.listdir(reopened.folder) if n.endswith(atomic.TEMP_SUFFIX)]


def test_racing_saves_of_one_image_leave_one_consistent_pair(project: Project,
                                                             painted) -> None:
    key = project.images[0].key
    docs = [painted(seed=seed) for seed in range(8)]
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda doc: project.save_document(key, doc), docs * 3))
    loaded = project.load_document(key)
    assert any(np.array_equal(loaded.id_map, d.id_map) for d in docs)
    assert sorted(os.listdir(project.folder / "annotations")) == [f"{key}.json",
                                                                 f"{key}@24.png"]
