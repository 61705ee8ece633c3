"""``panoptix evaluate``'s output: a table for people, panopticapi's JSON layout for tools."""

from __future__ import annotations

from panoptix.core.pq_sources import Evaluation

SHOWN = 5
"""Names listed in a note before '...'."""


def evaluation_json(evaluation: Evaluation) -> dict:
    """panopticapi's ``All``/``Things``/``Stuff``/``per_class`` (fractions), plus the
    images scored and the ones without a partner."""
    data = evaluation.result.to_json(evaluation.categories)
    data["ground_truth"] = str(evaluation.ground_truth.path)
    data["prediction"] = str(evaluation.prediction.path)
    data["images_without_prediction"] = evaluation.missing
    data["predictions_not_in_ground_truth"] = evaluation.extra
    data["ground_truth_left_out"] = evaluation.ground_truth.left_out
    return data


def notes(evaluation: Evaluation) -> list[str]:
    """One line per kind of image that was not paired as it came."""
    lines = []
    for images, one, many in (
            (evaluation.missing, "has no prediction", "have no prediction"),
            (evaluation.extra, "is predicted but not in the ground truth",
             "are predicted but not in the ground truth"),
            (evaluation.ground_truth.left_out, "of the ground truth is not annotated",
             "of the ground truth are not annotated")):
        if images:
            what = one if len(images) == 1 else many
            effect = "scored as empty" if images is evaluation.missing else "left out"
            if images is evaluation.ground_truth.left_out:
                what += " (projects: not done)"
            shown = ", ".join(images[:SHOWN]) + (" ..." if len(images) > SHOWN else "")
            lines.append(f"{len(images)} image{'s' if len(images) > 1 else ''} {what}: "
                         f"{effect} ({shown})")
    if evaluation.other_ids:
        lines.append(other_ids_line(evaluation))
    return lines


def other_ids_line(evaluation: Evaluation) -> str:
    """Pairs by file name whose image ids differ, which panopticapi would pair otherwise."""
    pairs = evaluation.other_ids
    shown = ", ".join(f"{name}: {truth} vs {guess}" for name, truth, guess in pairs[:SHOWN])
    return (f"{len(pairs)} of {evaluation.result.images} images have another image_id in "
            f"the prediction than in the ground truth ({shown}"
            f"{' ...' if len(pairs) > SHOWN else ''}): panopticapi and detectron2 pair by "
            "image_id and would score them against other images; export the prediction "
            "with --image-ids-from GT_JSON")


def table(evaluation: Evaluation) -> str:
    """PQ, SQ and RQ in percent for All, Things, Stuff and each category that occurs."""
    result, categories = evaluation.result, evaluation.categories
    lines = [f"PQ on {result.images} images: ground truth {evaluation.ground_truth.path}, "
             f"prediction {evaluation.prediction.path}", "",
             f"{'':<26}{'PQ':>7}{'SQ':>7}{'RQ':>7}{'N':>6}"]
    for name, quality in (("All", result.all), ("Things", result.things),
                          ("Stuff", result.stuff)):
        lines.append(f"{name:<26}{100 * quality.pq:7.1f}{100 * quality.sq:7.1f}"
                     f"{100 * quality.rq:7.1f}{quality.n:6d}")
    lines += ["", f"{'category':<20}{'kind':<6}{'PQ':>7}{'SQ':>7}{'RQ':>7}"
                  f"{'TP':>6}{'FP':>6}{'FN':>6}"]
    for category_id, quality in result.per_category.items():
        if not quality.n:
            continue
        category = categories[category_id]
        counts = result.counts[category_id]
        kind = "thing" if category.isthing else "stuff"
        lines.append(f"{category.name[:19]:<20}{kind:<6}{100 * quality.pq:7.1f}"
                     f"{100 * quality.sq:7.1f}{100 * quality.rq:7.1f}{counts.tp:6d}"
                     f"{counts.fp:6d}{counts.fn:6d}")
    return "\n".join(lines)
