"""The ``panoptix`` command: the window by default, the subcommands headless, exit codes
and one line per problem."""

from __future__ import annotations

import json
import subprocess
import sys
import types
from pathlib import Path

import pytest

from core.conftest_coco import read_json, write_blank_images, write_dataset, write_json
from panoptix.cli import main

SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "data" / "panopticapi_sample"
SAMPLE_JSON = SAMPLE / "panoptic_examples.json"
HEAVY = ("torch", "transformers", "PySide6", "superqt", "numpy", "cv2")


def test_help_is_quick_and_imports_neither_qt_nor_torch():
    code = ("import sys\nfrom panoptix.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit as e:\n    assert e.code == 0\n"
            f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"
    assert "export" in done.stdout and "validate" in done.stdout


@pytest.fixture
def window(monkeypatch: pytest.MonkeyPatch) -> list:
    """Stands in for panoptix.gui.app (the real one needs a display and Qt)."""
    calls: list = []
    fake = types.ModuleType("panoptix.gui.app")
    fake.run = lambda path, model=None, device=None, sam_model=None: calls.append(
        (path, model, device, sam_model)) or 0
    monkeypatch.setitem(sys.modules, "panoptix.gui.app", fake)
    return calls


def test_no_subcommand_opens_the_window(window):
    assert main([]) == 0
    assert window == [(None, None, None, None)]


def test_a_path_opens_the_window_with_model_and_device(window):
    assert main(["photos", "--model", "org/m2f", "--device", "cpu"]) == 0
    assert window == [("photos", "org/m2f", "cpu", None)]


def test_the_segment_anything_model_can_be_given(window):
    assert main(["photos", "--sam-model", "facebook/sam2.1-hiera-small"]) == 0
    assert window == [("photos", None, None, "facebook/sam2.1-hiera-small")]


def test_presegment_is_registered_from_the_inference_layer(monkeypatch):
    seen: list = []
    fake = types.ModuleType("panoptix.inference.presegment")
    fake.add_presegment_arguments = lambda parser: parser.add_argument("--out")
    fake.run_presegment = lambda args: seen.append(args.out) or 7
    monkeypatch.setitem(sys.modules, "panoptix.inference.presegment", fake)
    assert main(["presegment", "--out", "p"]) == 7
    assert seen == ["p"]


def test_the_real_presegment_module_provides_both_functions():
    from panoptix.inference import presegment

    assert callable(presegment.add_presegment_arguments)
    assert callable(presegment.run_presegment)


def test_validate_exits_0_on_the_sample(capsys):
    assert main(["validate", str(SAMPLE_JSON)]) == 0
    assert "valid" in capsys.readouterr().out


def test_validate_exits_1_with_one_line_per_problem(tmp_path, capsys):
    json_path = write_dataset(tmp_path)
    data = read_json(json_path)
    data["annotations"][0]["segments_info"][0]["area"] += 1
    data["annotations"][1]["segments_info"][0]["category_id"] = 99
    write_json(json_path, data)
    assert main(["validate", str(json_path), str(tmp_path / "panoptic_val")]) == 1
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert len(lines) == 2
    assert any("[area]" in line for line in lines)
    assert any("[unknown-category]" in line for line in lines)
    assert captured.err.count("\n") == 1 and "2 problems" in captured.err


def _imported(tmp_path: Path, capsys) -> Path:
    write_blank_images(tmp_path / "images", json.loads(SAMPLE_JSON.read_text())["images"])
    assert main(["import", str(SAMPLE_JSON), "--png-dir", str(SAMPLE / "panoptic_examples"),
                 "--images", str(tmp_path / "images"), "--out", str(tmp_path / "proj")]) == 0
    assert "2 annotated, 50 segments" in capsys.readouterr().out
    return tmp_path / "proj"


@pytest.mark.parametrize("fmt,written", [
    ("coco-panoptic", ["panoptic_x", "panoptic_x.json"]),
    ("semantic", ["semantic_x", "semantic_x.json", "semantic_x_classes.json"]),
    ("coco-instances", ["instances_x.json"]),
])
def test_import_then_export_each_format(tmp_path, capsys, fmt, written):
    project = _imported(tmp_path, capsys)
    out = tmp_path / "out"
    assert main(["export", str(project), "--out", str(out), "--name", "x",
                 "--format", fmt]) == 0
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == written
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == sorted(
        f".{name}.panoptix-export" for name in written if name.endswith(".json"))
    assert "exported 2 images" in capsys.readouterr().out


def test_export_only_done_of_an_unreviewed_import_is_empty(tmp_path, capsys):
    project = _imported(tmp_path, capsys)
    assert main(["export", str(project), "--out", str(tmp_path / "out"), "--only-done"]) == 0
    assert read_json(tmp_path / "out" / "panoptic_proj.json")["images"] == []


def test_errors_are_one_line_with_exit_1(tmp_path, capsys):
    assert main(["export", str(tmp_path / "nothing"), "--out", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("panoptix: error:") and err.count("\n") == 1
    project = _imported(tmp_path, capsys)
    assert main(["import", str(SAMPLE_JSON), "--images", str(tmp_path / "images"),
                 "--png-dir", str(SAMPLE / "panoptic_examples"), "--out", str(project)]) == 1
    assert "not empty" in capsys.readouterr().err


def test_import_of_a_hostile_dataset_lists_its_problems(tmp_path, capsys):
    json_path = write_dataset(tmp_path)
    data = read_json(json_path)
    data["images"][0]["file_name"] = "../../etc/passwd"
    write_json(json_path, data)
    assert main(["import", str(json_path), "--images", str(tmp_path),
                 "--out", str(tmp_path / "proj")]) == 1
    captured = capsys.readouterr()
    assert "[path]" in captured.out and "import refused" in captured.err
    assert not (tmp_path / "proj").exists()


def test_export_options_ids_flat_names_and_images(tmp_path, capsys):
    project = _imported(tmp_path, capsys)
    out = tmp_path / "out"
    for ids in ("train", "category"):
        assert main(["export", str(project), "--out", str(out / ids), "--name", "x",
                     "--format", "semantic", "--ids", ids]) == 0
        assert read_json(out / ids / "semantic_x_classes.json")["ids"] == ids
    assert main(["export", str(project), "--out", str(out / "d2"), "--name", "val",
                 "--flat-names", "--images", "jpeg"]) == 0
    data = read_json(out / "d2" / "panoptic_val.json")
    assert all((out / "d2" / "val" / (a["file_name"][:-4] + ".jpg")).is_file()
               for a in data["annotations"])
    assert all("original_file_name" in image for image in data["images"])
    capsys.readouterr()
    assert main(["export", str(project), "--out", str(out), "--ids", "train"]) == 1
    assert "--ids applies to --format semantic" in capsys.readouterr().err


def test_bad_arguments_exit_2():
    with pytest.raises(SystemExit) as stopped:
        main(["export", "p", "--format", "yolo", "--out", "o"])
    assert stopped.value.code == 2
