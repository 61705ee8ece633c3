"""A simulated annotator that measures the effort Panoptix saves.

It knows a scene's exact ground truth and edits a core ``Document`` through the same core
and inference functions the window's tools call, counting every click, key, polygon vertex
and brush drag until the document reaches a target against the ground truth (every
ground-truth segment matched with IoU >= 0.85 and the right category, and PQ >= 0.85;
then the same at 0.9). Seconds are estimated from the counts with the keystroke-level
model (:mod:`.effort`). No Qt: the window's behaviour is mirrored, not driven.

    annotate_manually(truth, image) -> Outcome         polygons, fill, brush, label picks
    annotate_assisted(truth, presegmented, context, image) -> Outcome
                                                       the model's pre-segmentation fixed
                                                       with proposals, guesses, refine...
    run_study(StudyConfig(kind, count, model=..., fine_tune_at=(5, 10, 20)), folder)
                                                       a dataset walked through, with
                                                       ``panoptix train`` on the images done

``bench/bench_effort.py`` runs the study and reports it (README, "Annotation effort").
"""

from panoptix.simulate.effort import Effort
from panoptix.simulate.policies import TARGETS, Outcome, annotate_assisted, annotate_manually
from panoptix.simulate.study import StudyConfig, StudyResult, run_study

__all__ = ["TARGETS", "Effort", "Outcome", "StudyConfig", "StudyResult", "annotate_assisted",
           "annotate_manually", "run_study"]
