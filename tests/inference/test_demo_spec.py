"""``--model demo`` is the bundled demo model's folder, and a model that cannot be had
offers it (saying what it can and cannot segment)."""

from __future__ import annotations

from pathlib import Path

import pytest

from panoptix.inference.demo_model import (
    DEMO_SCOPE,
    demo_folder,
    demo_title,
    is_demo,
    with_demo_offer,
    without_demo_offer,
)
from panoptix.inference.hub import resolve_model_folder
from panoptix.inference.loading import ModelUnavailableError, load_model


@pytest.mark.parametrize("spec", ["demo", " Demo ", str(demo_folder())])
def test_demo_names_the_bundled_folder(spec: str) -> None:
    assert is_demo(spec)
    assert demo_title(spec) is not None and "demo model" in demo_title(spec)


@pytest.mark.parametrize("spec", ["demo-model", "someone/demo", "facebook/mask2former-swin-"
                                  "tiny-coco-panoptic", "/elsewhere/demo"])
def test_other_models_are_not_the_demo(spec: str) -> None:
    assert not is_demo(spec)
    assert demo_title(spec) is None


def test_demo_resolves_to_the_bundled_folder_offline() -> None:
    assert resolve_model_folder("demo") == demo_folder()


def test_an_uncached_hub_model_offline_offers_the_demo_model(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailableError) as caught:
        load_model("facebook/mask2former-swin-tiny-coco-panoptic", cache_dir=str(tmp_path))
    message = str(caught.value)
    assert "\n" not in message
    assert "offline mode is on" in message and "--model demo" in message
    assert "nothing real" in message and "streets, parks, kitchens" in message


def test_the_offer_comes_off_again() -> None:
    base = "model x is not in the local cache and offline mode is on (HF_HUB_OFFLINE)"
    assert without_demo_offer(with_demo_offer(base)) == base
    assert without_demo_offer(base) == base
    assert with_demo_offer(base).endswith(DEMO_SCOPE)


def test_an_unavailable_segment_anything_model_offers_no_demo_model(tmp_path: Path) -> None:
    from panoptix.inference.sam.loading import load_sam

    with pytest.raises(ModelUnavailableError) as caught:  # the demo model cannot do SAM's job
        load_sam("facebook/sam2.1-hiera-tiny", cache_dir=str(tmp_path))
    assert "offline mode is on" in str(caught.value)
    assert "demo" not in str(caught.value)


def test_loading_the_demo_model_prints_no_compatibility_alarm() -> None:
    """transformers warns that a ResNet backbone "may not be compatible with Mask2Former";
    the demo model has one and works (tests/demo_model), so a user must not see that on
    every load. A fresh process: transformers warns once per process."""
    import os
    import subprocess
    import sys

    code = "from panoptix.inference.loading import load_model; load_model('demo')"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"}, check=True, timeout=120)
    assert "may not be compatible" not in done.stderr + done.stdout
