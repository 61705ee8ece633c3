"""Generated photo-like scenes with exact COCO panoptic ground truth.

numpy, OpenCV and Pillow only (no torch, no Qt): tests, training and benchmarks make
thousands of scenes. The public API::

    generate(kind, seed, size=(480, 640), *, blur=None) -> Scene
        one scene; kind in SCENE_KINDS = ("street", "park", "harbour", "kitchen");
        Scene.image (HxWx3 uint8 RGB), Scene.document (core Document, segments 1..N)
    synth_categories() -> CategorySet
        the categories scenes use: COCO panoptic ids, names, colours and isthing
    write_dataset(folder, kinds=SCENE_KINDS, count=100, seed=0, size=(480, 640), *,
                  name="demo", blur=None, workers=None, progress=None) -> DatasetPaths
        a COCO panoptic dataset: images/, panoptic_<name>/, panoptic_<name>.json
    make_project(folder, kinds=("street", "park"), count=20, seed=1, size=(480, 640), *,
                 name="demo", blur=None, progress=None) -> Path
        the same dataset plus a Panoptix project (folder/images.panoptix, returned) with
        every image marked done and its ground truth as the document

Every kind shares categories with the others (person and sky everywhere but the kitchen's
inside; trees, buildings, pavement, water in several), and each has its own mix: a model
trained on some kinds can be tried on an unseen one (the effort benchmark holds harbour
out). What "exact" means is said in :mod:`panoptix.synth.generator`.
"""

from panoptix.synth.categories import synth_categories
from panoptix.synth.dataset import DatasetError, DatasetPaths, make_project, write_dataset
from panoptix.synth.generator import MIN_FRAGMENT, Scene
from panoptix.synth.scenes import SCENE_KINDS, SceneError, generate

__all__ = ["MIN_FRAGMENT", "SCENE_KINDS", "DatasetError", "DatasetPaths", "Scene",
           "SceneError", "generate", "make_project", "synth_categories", "write_dataset"]
