"""The demo model's README, written from its ``training.json`` (every figure and fact from
the record, so writing it again needs no training: ``train_demo_model.py --readme-only``).
"""

from __future__ import annotations


def readme(record: dict) -> str:
    """The model folder's README, every figure and fact from ``record`` (its
    ``training.json``): writing it again needs no training (``--readme-only``)."""
    demo = record["demo"]
    recipe = demo["recipe"]
    train = recipe["train_data"]
    evaluation = demo["evaluation"]
    advised = _advised(demo)
    rows = []
    for kind, result in evaluation.items():
        seen = "trained on" if result["seen_in_training"] else "**held out**"
        shown, other = _scores(result, advised)
        rows.append(f"| {kind} | {seen} | {100 * shown['all']['pq']:.1f} | "
                    f"{100 * shown['things']['pq']:.1f} | {100 * shown['stuff']['pq']:.1f} "
                    f"| {100 * shown['all']['sq']:.1f} | {100 * shown['all']['rq']:.1f} "
                    f"| {_pair(other)} |")
    found, missed = _categories_found(record)
    best = record.get("best") or {}
    eval_data = recipe["eval_data"]
    held_out = ", ".join(recipe["held_out"])
    return "\n".join([
        "# The Panoptix demo model",
        "",
        "A small Mask2Former that Panoptix trained **from scratch** with its own `panoptix "
        "train`, on scenes its own generator made (`panoptix demo-data`). It is bundled so "
        "that a fresh install segments its sample images offline: `panoptix` with no "
        "argument opens the samples with it, and `--model demo` picks it anywhere.",
        "",
        "## What it can and cannot segment",
        "",
        f"- **Can:** scenes like Panoptix's generated {', '.join(train['scenes'])} scenes "
        f"(the samples). Its labels are the {len(record['labels'])} categories of those "
        "scenes, with COCO panoptic names and ids. On fresh scenes of the kinds it was "
        f"trained on it finds (PQ above zero): {', '.join(found) or 'nothing'}.",
        f"- **Cannot:** {', '.join(missed) or 'none'}: it has these labels but did not "
        "segment them on the fresh scenes; its PQ on things is at most "
        f"{100 * max(_scores(r, advised)[0]['things']['pq'] for r in evaluation.values()):.1f}"
        " on any kind. It "
        "cannot segment anything real: "
        "it has never "
        "seen a photograph, so on your own images it is no use, and the hub's COCO model "
        f"(the default for your folders) is the one to use. {held_out.capitalize()} scenes "
        "were held out on purpose (the annotation-effort benchmark runs the model on them "
        "as the unseen kind): the table shows what that costs.",
        "",
        "## Quality",
        "",
        f"Panoptic quality (%) at the default settings on {eval_data['count']} fresh "
        f"generated scenes per kind (dataset seed {eval_data['seed']}, {eval_data['size']}: "
        "none trained or validated on), through `panoptix presegment` and `panoptix "
        "evaluate`. " + (_ADVISED if advised else _PLAIN),
        "",
        "| scenes | in training | PQ | PQ things | PQ stuff | SQ | RQ | "
        f"{'both switches off' if advised else 'both switches on'} |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
        *rows,
        "",
        f"Validation PQ during training (the {len(record['images']['validation'])} "
        f"scenes held out of the training data): {100 * best.get('pq', 0):.1f} at step "
        f"{best.get('step', '?')}, the weights shipped.",
        "",
        "## What it is",
        "",
        *_what_it_is(record),
        *(f"- {note}" for note in demo.get("notes", [])),
        "- `training.json` is `panoptix train`'s record (settings, losses, validation) "
        "with a `demo` section: this recipe, the evaluation per kind and class, the "
        "hardware and the times.",
        "",
        "## Reproduce",
        "",
        "```bash",
        "nice -n 10 .venv/bin/python packaging/train_demo_model.py",
        "```",
        "",
        "It writes into `build/demo-model/` and installs here; run it again after an "
        "interruption and it resumes. Scenes are deterministic; the training is seeded "
        "but not bit-exact across machines and thread counts.",
        "",
        "Licence: Apache-2.0, like Panoptix (weights and training data are Panoptix's own).",
        "",
    ])


_ADVISED = (
    "The default settings are this model's advice in its `config.json` "
    "(`panoptix_postprocess`): both post-processing switches on, boundaries moved onto the "
    "image's edges and detached parts of an object split into objects, which its coarse "
    "masks gain from on every kind. The last column is PQ / PQ things with both off "
    "(`--no-snap-edges --no-split-parts`: its masks as transformers' post-processing "
    "gives them); the found and missed categories above are from those plain masks:")
_PLAIN = (
    "The last column is PQ / PQ things with `--snap-edges --split-parts` (boundaries moved "
    "onto the image's edges, detached parts of an object split into objects):")


def _advised(demo: dict) -> bool:
    """Whether the installed model advises both post-processing switches on."""
    advice = demo.get("advice") or {}
    return bool(advice.get("snap_edges") and advice.get("split_parts"))


def _scores(result: dict, advised: bool) -> tuple[dict, dict | None]:
    """A kind's scores at the model's default settings, and with the switches the other
    way (None when not evaluated)."""
    on = result.get("switches_on")
    off = {part: result[part] for part in ("all", "things", "stuff")}
    if advised and on:
        return on, off
    return off, on


def _pair(scores: dict | None) -> str:
    if not scores:
        return "–"
    return f"{100 * scores['all']['pq']:.1f} / {100 * scores['things']['pq']:.1f}"


def _what_it_is(record: dict) -> list[str]:
    demo = record["demo"]
    recipe = demo["recipe"]
    config, train, forward = recipe["config"], recipe["train_data"], demo["forward"]
    hardware = demo["hardware"]
    backbone = config["backbone"]
    threads = recipe["threads"]
    return [
        f"- A Mask2Former ({_config_text(config)}), made with seeded random weights (seed "
        f"{recipe['init_seed']}) and trained from there with `panoptix train --base` in "
        f"{len(recipe['stages'])} stages, every layer at the full learning rate; "
        f"{_backbone_text(backbone)}. "
        f"{demo['parameters'] / 1e6:.2f} M parameters, {demo['weights_bytes'] / 1e6:.1f} MB "
        "of float32 safetensors.",
        f"- Input: shortest edge {_input_edge(record)} px. One forward pass on a "
        f"{forward['image']} sample ({forward['model_input']} in) takes "
        f"{forward['seconds_median']:.2f} s on {threads} CPU "
        f"thread{'s' if forward['threads'] > 1 else ''} of the machine below (median of "
        f"{forward['runs']}).",
        f"- Data: {train['count']} scenes ({', '.join(train['scenes'])}, {train['size']}, "
        f"dataset seed {train['seed']}), {len(record['images']['validation'])} of them held "
        "out for validation.",
        *(f"- Training stage {number} (`{stage['name']}`): "
          f"`{' '.join(stage['options'])}`; {stage['steps']} steps in "
          f"{stage['seconds'] / 3600:.1f} h; best validation PQ "
          f"{100 * stage['best']['pq']:.1f} (things {100 * stage['best']['things_pq']:.1f}) "
          f"at step {stage['best']['step']}."
          for number, stage in enumerate(recipe["stages"], 1)),
        f"- Machine: {hardware['cpu']} ({hardware['cores']} cores, shared with other work; "
        f"{threads} torch thread{'s' if threads > 1 else ''}), torch {hardware['torch']}, "
        f"transformers {hardware['transformers']}.",
    ]


def _backbone_text(backbone: dict) -> str:
    depths = "-".join(map(str, backbone["depths"]))
    if backbone.get("type") == "resnet":
        widths = "-".join(map(str, backbone["hidden_sizes"]))
        return (f"ResNet {backbone.get('layer_type', 'bottleneck')}-block backbone of stem "
                f"width {backbone['embedding_size']}, stage widths {widths}, depths {depths}")
    return f"Swin backbone of embedding width {backbone['embed_dim']}, depths {depths}"


def _config_text(config: dict) -> str:
    return (f"pixel decoder of width {config['hidden_dim']} with "
            f"{config['encoder_layers']} encoder layer{'s' * (config['encoder_layers'] > 1)}, "
            f"transformer decoder of {config['decoder_layers']} layers, "
            f"{config['num_queries']} queries")


def _categories_found(record: dict) -> tuple[list[str], list[str]]:
    """The model's labels it segmented on fresh scenes of its training kinds (best first),
    and those it never did."""
    from panoptix.synth import synth_categories

    categories = synth_categories()
    best: dict[str, float] = {}
    for result in record["demo"]["evaluation"].values():
        if result["seen_in_training"]:
            for category_id, pq in result["per_class"].items():
                name = categories[int(category_id)].name
                best[name] = max(best.get(name, 0.0), pq)
    found = sorted((name for name in record["labels"] if best.get(name, 0) > 0),
                   key=lambda name: -best[name])
    return ([f"{name} ({100 * best[name]:.0f})" for name in found],
            [name for name in record["labels"] if name not in found])


def _input_edge(record: dict) -> int:
    return int(record["settings"]["size"])
