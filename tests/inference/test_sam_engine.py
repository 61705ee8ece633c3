"""Segment Anything models saved like a user's (tiny random weights): loading under the
panoptic model's rules, one embedding per image, prompts decoded on it, the caches."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from panoptix.inference.loading import ModelLoadError, ModelUnavailableError, PickleWeightsRefused
from panoptix.inference.sam.cache import EmbeddingCache, embedding_path
from panoptix.inference.sam.engine import SamEngine
from panoptix.inference.sam.loading import load_sam
from panoptix.inference.sam.predictor import SamError, SamPredictor
from panoptix.inference.sam.prompts import Prompts
from panoptix.inference.sam.settings import SamSettings
from tiny_models import build_sam, build_sam2

IMAGE = np.random.default_rng(0).integers(0, 256, (300, 500, 3), dtype=np.uint8)


@pytest.fixture(scope="module")
def sam2_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_sam2(tmp_path_factory.mktemp("sam2") / "model")


@pytest.fixture(scope="module")
def sam2(sam2_dir: Path) -> SamPredictor:
    return SamPredictor.load(str(sam2_dir), "cpu")


def test_a_saved_sam2_loads_with_its_processor_settings(sam2_dir, tmp_path):
    loaded = load_sam(str(sam2_dir))
    assert (loaded.family, loaded.input_size) == ("sam2", 256)
    assert type(loaded.model).__name__ == "Sam2Model"
    assert loaded.normalization.mean == (0.485, 0.456, 0.406)
    frame = loaded.frame((3000, 4000))
    assert (frame.input_size, frame.keep_aspect) == (256, False)
    custom = tmp_path / "custom"
    shutil.copytree(sam2_dir, custom)
    config = json.loads((custom / "preprocessor_config.json").read_text())
    config.update(image_mean=[0.5, 0.5, 0.5], image_std=[0.25, 0.25, 0.25])
    (custom / "preprocessor_config.json").write_text(json.dumps(config))
    assert load_sam(str(custom)).normalization.std == (0.25, 0.25, 0.25)
    config["size"] = {"height": 1024, "width": 1024}
    (custom / "preprocessor_config.json").write_text(json.dumps(config))
    with pytest.raises(ModelLoadError, match="resizes to 1024 px but the model takes 256"):
        load_sam(str(custom))


def test_sam2_video_checkpoints_and_the_original_sam_load_too(tmp_path):
    """The SAM 2.1 hub checkpoints are saved as sam2_video; SamModel checkpoints are SAM."""
    video = load_sam(str(build_sam2(tmp_path / "video", video=True, processor=False)))
    assert (video.family, type(video.model).__name__) == ("sam2", "Sam2Model")
    assert video.normalization.std == (0.229, 0.224, 0.225)  # no processor saved: defaults
    original = load_sam(str(build_sam(tmp_path / "sam")))
    assert (original.family, type(original.model).__name__) == ("sam", "SamModel")
    assert original.frame((300, 500)).resized == (154, 256)


def test_loading_refuses_with_one_line(sam2_dir, tmp_path, mask2former_dir):
    with pytest.raises(ModelLoadError, match="is a mask2former model, not Segment Anything"):
        load_sam(str(mask2former_dir))
    with pytest.raises(ModelLoadError, match="no model folder at"):
        load_sam(str(tmp_path / "missing"))
    with pytest.raises(ModelUnavailableError, match="not in the local cache") as caught:
        load_sam("facebook/sam2.1-hiera-tiny")  # tests run with HF_HUB_OFFLINE=1
    assert "\n" not in str(caught.value)
    pickled = tmp_path / "pickled"
    shutil.copytree(sam2_dir, pickled)
    torch.save(load_sam(str(sam2_dir)).model.state_dict(), pickled / "pytorch_model.bin")
    (pickled / "model.safetensors").unlink()
    with pytest.raises(PickleWeightsRefused, match="allow pickle weights"):
        load_sam(str(pickled))
    assert load_sam(str(pickled), allow_pickle=True).family == "sam2"


def test_a_single_point_gives_three_candidates_best_first(sam2):
    embedding = sam2.embed(IMAGE)
    assert embedding.image_size == (300, 500)
    assert [tuple(f.shape) for f in embedding.features] == [(1, 4, 64, 64), (1, 8, 32, 32),
                                                            (1, 32, 16, 16)]
    prediction = sam2.decode(embedding, Prompts().with_point(250, 150))
    assert prediction.multimask and len(prediction.candidates) == 3
    scores = [c.iou for c in prediction.candidates]
    assert scores == sorted(scores, reverse=True)
    for candidate in prediction.candidates:
        y0, x0, y1, x1 = candidate.box
        assert 0 <= y0 < y1 <= 300 and 0 <= x0 < x1 <= 500
        assert candidate.mask.shape == (y1 - y0, x1 - x0) and candidate.mask.any()
    more = Prompts().with_point(250, 150).with_point(20, 20, positive=False) \
        .with_box(100, 50, 400, 250)
    refined = sam2.decode(embedding, more)
    assert not refined.multimask and len(refined.candidates) == 1
    assert len(sam2.decode(embedding, more, multimask=True).candidates) == 3
    with pytest.raises(SamError, match="no prompt"):
        sam2.decode(embedding, Prompts())


def test_the_original_sam_decodes_on_its_padded_frame(tmp_path):
    predictor = SamPredictor.load(str(build_sam(tmp_path / "sam")), "cpu")
    embedding = predictor.embed(IMAGE)
    assert embedding.frame.keep_aspect and len(embedding.features) == 1
    prediction = predictor.decode(embedding, Prompts().with_point(250, 150))
    assert prediction.candidates and all(c.box[2] <= 300 and c.box[3] <= 500
                                         for c in prediction.candidates)


def test_the_engine_embeds_each_image_once_and_decodes_only_on_embeddings(sam2_dir,
                                                                          monkeypatch):
    calls = []
    original = SamPredictor.embed

    def counting(self, image):  # noqa: ANN001, ANN202
        calls.append(image.shape)
        return original(self, image)

    monkeypatch.setattr(SamPredictor, "embed", counting)
    engine = SamEngine(SamSettings(model=str(sam2_dir), device="cpu"), capacity=2)
    with pytest.raises(SamError, match="not ready"):
        engine.decode("a", Prompts().with_point(1, 1))
    reads = []

    def read(image: np.ndarray = IMAGE) -> np.ndarray:
        reads.append(1)
        return image

    assert engine.embed("a", read)[1] is True
    assert engine.embed("a", read)[1] is False  # kept: neither read nor encoded again
    assert len(calls) == 1 and len(reads) == 1
    for _ in range(3):
        assert engine.decode("a", Prompts().with_point(10, 10)).candidates
    assert len(calls) == 1
    engine.embed("b", read)
    engine.embed("c", read)  # capacity 2: "a" leaves memory
    assert engine.embedding("a") is None and engine.embedding("c") is not None
    engine.configure(SamSettings(model=str(sam2_dir) + "/", device="cpu"))
    assert engine.embedding("c") is None  # another model id: its own embeddings


def test_embeddings_kept_on_disk_are_reused_beside_the_raw_outputs(sam2_dir, tmp_path,
                                                                   monkeypatch):
    path = embedding_path(tmp_path / "raw" / "img.npz", str(sam2_dir))
    assert path.parent == tmp_path / "raw" and path.name.startswith("img.sam-")
    path.parent.mkdir()
    first = SamEngine(SamSettings(model=str(sam2_dir), device="cpu"))
    assert first.embed("img", lambda: IMAGE, path)[1] is True and path.is_file()
    fresh = SamEngine(SamSettings(model=str(sam2_dir), device="cpu"))
    monkeypatch.setattr(SamPredictor, "embed", lambda *_: pytest.fail("encoded again"))
    embedding, computed = fresh.embed("img", lambda: IMAGE, path)
    assert computed is False
    prompts = Prompts().with_point(200, 100)
    a = first.decode("img", prompts).candidates[0]
    b = fresh.decode("img", prompts).candidates[0]
    overlap = _iou(a, b, IMAGE.shape[:2])
    assert overlap > 0.98  # float16 on disk moves a few boundary pixels at most
    monkeypatch.undo()
    other = np.zeros((10, 10, 3), np.uint8)
    embedding, computed = fresh.embed("other", lambda: other, path)  # a file of another size
    assert computed and embedding.image_size == (10, 10)


def _iou(a, b, size) -> float:  # noqa: ANN001
    masks = []
    for candidate in (a, b):
        full = np.zeros(size, bool)
        y0, x0, y1, x1 = candidate.box
        full[y0:y1, x0:x1] = candidate.mask
        masks.append(full)
    return float((masks[0] & masks[1]).sum() / max(1, (masks[0] | masks[1]).sum()))


def test_the_memory_cache_is_least_recently_used_first_out():
    cache = EmbeddingCache(capacity=2)
    for key in ("a", "b"):
        cache.put((key, "m", (1, 1)), key)  # type: ignore[arg-type]
    assert cache.get(("a", "m", (1, 1))) == "a"  # a is now the most recent
    cache.put(("c", "m", (1, 1)), "c")  # type: ignore[arg-type]
    assert cache.find("b", "m") is None and cache.find("a", "m") == "a" and len(cache) == 2


def _rewrite(path: Path, change) -> None:  # noqa: ANN001
    """Rewrite the embedding file at ``path`` with ``change(meta, arrays)`` applied."""
    with np.load(path, allow_pickle=False) as npz:
        arrays = {name: npz[name] for name in npz.files}
    meta = json.loads(str(arrays["meta"]))
    change(meta, arrays)
    arrays["meta"] = np.array(json.dumps(meta))
    with path.open("wb") as stream:
        np.savez(stream, **arrays)


DAMAGE: dict = {
    "meta is a list": None,  # written below: the meta itself replaced
    "no input size": lambda meta, arrays: meta.pop("input_size"),
    "levels not a number": lambda meta, arrays: meta.update(levels=None),
    "negative input size": lambda meta, arrays: meta.update(input_size=-1),
    "image size a number": lambda meta, arrays: meta.update(image_size=5),
    "keep_aspect text": lambda meta, arrays: meta.update(keep_aspect="no"),
    "a level of text": lambda meta, arrays: arrays.update(level0=np.array(["a"])),
    "a level missing": lambda meta, arrays: arrays.pop("level1"),
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_embedding_file_is_none_and_gets_replaced(sam2_dir, tmp_path, damage):
    from panoptix.inference.sam.cache import load_embedding

    path = tmp_path / "img.sam-x.npz"
    SamEngine(SamSettings(model=str(sam2_dir), device="cpu")).embed("img", lambda: IMAGE, path)
    if damage == "meta is a list":
        with np.load(path, allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
        arrays["meta"] = np.array("[1]")
        with path.open("wb") as stream:
            np.savez(stream, **arrays)
    else:
        _rewrite(path, DAMAGE[damage])
    assert load_embedding(path, str(sam2_dir), IMAGE.shape[:2]) is None  # before: raised
    engine = SamEngine(SamSettings(model=str(sam2_dir), device="cpu"))
    assert engine.embed("img", lambda: IMAGE, path)[1] is True  # computed again...
    assert load_embedding(path, str(sam2_dir), IMAGE.shape[:2]) is not None  # ...and replaced
