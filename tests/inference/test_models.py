"""Loading models the way a user's model is loaded, and running them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from synthetic import COCO_THINGS

from panoptix.inference.device import DeviceError, choose_device, is_out_of_memory
from panoptix.inference.engine import Predictor, PredictorError
from panoptix.inference.loading import (
    ModelLoadError,
    ModelUnavailableError,
    PickleWeightsRefused,
    load_model,
)
from panoptix.inference.postprocess import panoptic_segmentation

IMAGE = np.random.default_rng(1).integers(0, 255, (150, 260, 3), np.uint8)


@pytest.fixture(scope="module")
def pickle_only_dir(mask2former_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pickled") / "model"
    shutil.copytree(mask2former_dir, folder)
    model = load_model(str(mask2former_dir)).model
    torch.save(model.state_dict(), folder / "pytorch_model.bin")
    (folder / "model.safetensors").unlink()
    return folder


def test_loads_a_mask2former_folder(mask2former_dir: Path) -> None:
    messages: list[str] = []
    predictor = Predictor()
    predictor.load(str(mask2former_dir), progress=messages.append)
    assert predictor.model_type == "mask2former" and predictor.device == "cpu"
    assert len(predictor.id2label) == 133 and predictor.id2label[0] == "person"
    assert any("weights" in m for m in messages)
    raw = predictor.predict(IMAGE)
    assert raw.image_size == (150, 260) and raw.task == "panoptic"
    assert raw.class_logits.shape == (20, 134) and raw.mask_logits.dtype == np.float16
    assert raw.model_id == str(mask2former_dir)


def test_pickle_only_folder_is_refused_unless_allowed(pickle_only_dir: Path) -> None:
    with pytest.raises(PickleWeightsRefused, match="allow-pickle"):
        load_model(str(pickle_only_dir))
    loaded = load_model(str(pickle_only_dir), allow_pickle=True)
    assert loaded.model_type == "mask2former"


def test_folders_without_weights_or_of_other_models_are_refused(tmp_path: Path,
                                                                mask2former_dir: Path) -> None:
    with pytest.raises(ModelLoadError, match="no model weights"):
        load_model(str(tmp_path))
    with pytest.raises(ModelLoadError, match="no model folder"):
        load_model(str(tmp_path / "missing" / "model"))
    other = tmp_path / "other"
    shutil.copytree(mask2former_dir, other)
    config = (other / "config.json").read_text().replace('"mask2former"', '"maskformer"')
    (other / "config.json").write_text(config)
    with pytest.raises(ModelLoadError, match="maskformer"):
        load_model(str(other))


def test_uncached_hub_model_offline_says_so_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailableError) as caught:
        load_model("facebook/mask2former-swin-tiny-coco-panoptic", cache_dir=str(tmp_path))
    message = str(caught.value)
    assert "\n" not in message
    assert "facebook/mask2former-swin-tiny-coco-panoptic" in message
    assert "local folder" in message


def test_a_cached_hub_model_loads_offline(mask2former_dir: Path, tmp_path: Path) -> None:
    repo = tmp_path / "models--someone--tiny-m2f"
    commit = "0" * 40
    shutil.copytree(mask2former_dir, repo / "snapshots" / commit)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    loaded = load_model("someone/tiny-m2f", cache_dir=str(tmp_path))
    assert loaded.model_id == "someone/tiny-m2f" and loaded.model_type == "mask2former"


def test_oneformer_gets_its_task_input(oneformer_dir: Path) -> None:
    predictor = Predictor()
    predictor.load(str(oneformer_dir))  # its processor names a class_info_file on the hub
    assert predictor.model_type == "oneformer"
    prepared = predictor.prepare([IMAGE], "semantic")
    tokens = predictor.loaded.processor.tokenizer("the task is semantic")["input_ids"]
    assert prepared.inputs["task_inputs"][0, :len(tokens)].tolist() == tokens
    panoptic, semantic = predictor.predict(IMAGE, "panoptic"), predictor.predict(IMAGE, "semantic")
    assert semantic.task == "semantic" and semantic.class_logits.shape == (20, 151)
    assert not np.allclose(panoptic.class_logits, semantic.class_logits)


def test_batches_crop_padding_per_image(mask2former: Predictor) -> None:
    small = IMAGE[:75, :100]
    wide, narrow = mask2former.predict_batch([IMAGE, small])
    assert narrow.image_size == (75, 100)
    # padded to the wide image's width in the batch, cropped back to its own
    assert narrow.mask_logits.shape == mask2former.predict(small).mask_logits.shape
    assert narrow.mask_logits.shape[2] < wide.mask_logits.shape[2]
    assert wide.mask_logits.shape == mask2former.predict(IMAGE).mask_logits.shape
    assert panoptic_segmentation(narrow, COCO_THINGS, threshold=0.0).id_map.shape == (75, 100)


def test_shortest_edge_trades_resolution_for_speed(mask2former_dir: Path) -> None:
    predictor = Predictor()
    predictor.load(str(mask2former_dir))
    assert predictor.default_shortest_edge == predictor.shortest_edge == 128
    full = predictor.predict(IMAGE).mask_logits.shape
    predictor.shortest_edge = 64
    assert predictor.predict(IMAGE).mask_logits.shape[1] < full[1]
    predictor.shortest_edge = None
    assert predictor.predict(IMAGE).mask_logits.shape == full


def test_bad_input_is_refused(mask2former: Predictor) -> None:
    with pytest.raises(PredictorError):
        mask2former.predict(IMAGE[:, :, 0])
    with pytest.raises(PredictorError):
        mask2former.predict(IMAGE, task="depth")
    with pytest.raises(PredictorError):
        Predictor().predict(IMAGE)


def test_device_choice() -> None:
    assert choose_device(None) == choose_device("auto") == choose_device("CPU") == "cpu"
    if not torch.cuda.is_available():
        with pytest.raises(DeviceError, match="cuda"):
            choose_device("cuda")


def test_a_model_too_big_for_the_gpu_runs_on_the_cpu(mask2former_dir: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    real_to = torch.nn.Module.to

    def to(module, *args, **kwargs):
        if args and args[0] == "cuda":
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 4 GiB")
        return real_to(module, *args, **kwargs)

    monkeypatch.setattr(torch.nn.Module, "to", to)
    monkeypatch.setattr("panoptix.inference.engine.choose_device", lambda device: "cuda")
    notices: list[str] = []
    predictor = Predictor(notify=notices.append)
    predictor.load(str(mask2former_dir), device="cuda")
    assert predictor.device == "cpu" and "does not fit" in notices[0]
    assert predictor.predict(IMAGE).mask_logits.size


def test_half_precision_is_for_cuda_only(mask2former_dir: Path) -> None:
    notices: list[str] = []
    predictor = Predictor(notify=notices.append)
    predictor.load(str(mask2former_dir), device="cpu", half=True)
    assert not predictor.half and "CUDA" in notices[0]


def _fail_with_oom(predictor: Predictor, monkeypatch: pytest.MonkeyPatch, while_) -> list:
    """Make the forward pass run out of memory while ``while_(predictor, prepared)``."""
    real, sizes = predictor._forward, []

    def forward(prepared):
        sizes.append((predictor.device, prepared.inputs["pixel_values"].shape[-2]))
        if while_(predictor, prepared):
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2 GiB")
        return real(prepared)

    monkeypatch.setattr(predictor, "_forward", forward)
    return sizes


def test_out_of_memory_retries_at_a_smaller_size(mask2former_dir: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    notices: list[str] = []
    predictor = Predictor(notify=notices.append)
    predictor.load(str(mask2former_dir))
    predictor.shortest_edge = 640
    sizes = _fail_with_oom(predictor, monkeypatch,
                           lambda p, prepared: prepared.inputs["pixel_values"].shape[-2] > 400)
    raw = predictor.predict(IMAGE)
    assert [s for _, s in sizes] == [640, 480, 352]
    assert predictor.shortest_edge == 352 and raw.image_size == (150, 260)
    predictor.shortest_edge = 640  # a caller repeating its setting keeps what worked
    assert predictor.shortest_edge == 352
    assert notices == ["out of memory on cpu at shortest edge 640; retrying at 480",
                       "out of memory on cpu at shortest edge 480; retrying at 352"]


def test_out_of_memory_on_a_gpu_ends_on_the_cpu(mask2former_dir: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    notices: list[str] = []
    predictor = Predictor(notify=notices.append)
    predictor.load(str(mask2former_dir))
    predictor.device = "cuda"  # pretend; the fake forward never touches it
    sizes = _fail_with_oom(predictor, monkeypatch, lambda p, prepared: p.device != "cpu")
    raw = predictor.predict(IMAGE)
    assert sizes == [("cuda", 128), ("cpu", 128)] and predictor.device == "cpu"
    assert "continuing on the CPU" in notices[-1] and raw.mask_logits.size


def test_out_of_memory_is_recognised() -> None:
    assert is_out_of_memory(torch.cuda.OutOfMemoryError("CUDA out of memory"))
    assert is_out_of_memory(RuntimeError("MPS backend out of memory (MPS allocated: 1 GB)"))
    assert not is_out_of_memory(RuntimeError("shape mismatch"))


def test_inference_modules_import_without_torch() -> None:
    """The GUI lists models and settings before any model is needed: no torch yet."""
    modules = ["registry", "settings", "engine", "postprocess", "to_document", "labels",
               "loading", "device", "batch", "presegment", "raw_outputs"]
    code = ("import sys\n"
            + "".join(f"import panoptix.inference.{m}\n" for m in modules)
            + "print(sorted({'torch', 'transformers'} & set(sys.modules)))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"



def test_an_unreachable_hub_is_reported_at_once_not_after_retries(tmp_path: Path,
                                                                  monkeypatch) -> None:
    from huggingface_hub import constants

    from panoptix.inference import loading

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "ENDPOINT", "http://127.0.0.1:9")  # discard port: closed
    with pytest.raises(ModelUnavailableError, match="cannot be reached"):
        loading.load_model("someone/not-cached", cache_dir=str(tmp_path))
    assert not loading.hub_reachable("http://127.0.0.1:9", timeout_s=1.0)
