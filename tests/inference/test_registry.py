"""The registry tells the truth about the hub, and ``panoptix --list-models`` shows it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from panoptix.cli import main
from panoptix.inference.registry import MODELS, PICKLE_ONLY, lookup

PICKLE_ONLY_ON_MAIN = {  # checked on the repositories' pages: main holds pytorch_model.bin only
    *(f"facebook/mask2former-swin-{name}" for name in (
        "large-coco-panoptic", "tiny-ade-semantic", "base-IN21k-ade-semantic",
        "small-cityscapes-panoptic", "small-cityscapes-instance")),
    *(f"shi-labs/oneformer_{name}" for name in (
        "coco_swin_large", "ade20k_swin_tiny", "ade20k_swin_large", "cityscapes_swin_large")),
}


def test_pickle_only_repositories_are_marked_and_no_others() -> None:
    assert PICKLE_ONLY == PICKLE_ONLY_ON_MAIN
    assert {info.model_id for info in MODELS if info.needs_pickle} == PICKLE_ONLY_ON_MAIN
    assert all(info.weights in ("safetensors", "pickle") for info in MODELS)


def test_unconfirmed_ids_are_gone_and_the_missing_one_is_there() -> None:
    assert lookup("facebook/mask2former-swin-base-IN21k-coco-panoptic") is None
    assert lookup("facebook/mask2former-swin-base-IN21k-cityscapes-panoptic") is None
    info = lookup("facebook/mask2former-swin-base-IN21k-coco-instance")
    assert info is not None and (info.task, info.table) == ("instance", "coco_panoptic")
    assert len(MODELS) == len({info.model_id for info in MODELS}) == 32


def test_list_models_shows_each_weight_format(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["--list-models"])
    assert stopped.value.code == 0
    rows = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()
            if line.startswith(("facebook/", "shi-labs/"))}
    assert rows.keys() == {info.model_id for info in MODELS}
    for model_id, line in rows.items():
        expected = "pickle (needs --allow-pickle)" if model_id in PICKLE_ONLY else "safetensors"
        assert line.rstrip().endswith(expected), line


def test_list_models_needs_neither_qt_nor_torch() -> None:
    code = ("import sys\nfrom panoptix.cli import main\ntry:\n    main(['--list-models'])\n"
            "except SystemExit:\n    pass\n"
            "print(sorted({'torch', 'transformers', 'PySide6'} & set(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"
