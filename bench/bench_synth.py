"""Scene generation speed against encoding the same images, at 640x480.

For each scene kind, makes scenes of fresh seeds and times each one (layout, painting,
speck removal, rendering, the ground-truth document), then times encoding the very same
images once as PNG (``cv2.imencode``, what writing a dataset costs anyway) in the same
run. Prints ms and scenes/s per kind and the ratio scene time / PNG encode time, in wall
time and in CPU time of this process (which other load on the machine distorts less).
Three interleaved rounds; the median round is the figure.

Usage: python bench/bench_synth.py [SCENES_PER_KIND]   (default 10)
"""

from __future__ import annotations

import sys
import time

import cv2

from panoptix.synth import SCENE_KINDS, generate

SIZE = (480, 640)
ROUNDS = 3


def timed(work) -> tuple[float, float, object]:  # noqa: ANN001
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    generate("street", 0, SIZE)  # textures are made once per size: not part of a scene
    print(f"{count} scenes per kind at {SIZE[1]}x{SIZE[0]}, {ROUNDS} rounds (median)")
    print(f"{'kind':<9}{'ms/scene':>10}{'scenes/s':>10}{'PNG ms':>8}{'ratio':>8}"
          f"{'CPU ratio':>11}")
    for kind in SCENE_KINDS:
        rounds = []
        for round_index in range(ROUNDS):
            seeds = range(1000 * round_index, 1000 * round_index + count)
            wall, cpu, scenes = timed(lambda seeds=seeds, kind=kind: [
                generate(kind, s, SIZE) for s in seeds])
            png_wall, png_cpu, _ = timed(lambda scenes=scenes: [
                cv2.imencode(".png", scene.image) for scene in scenes])
            rounds.append((wall / count, cpu / count, png_wall / count, png_cpu / count))
        scene, scene_cpu, png, png_cpu = sorted(rounds, key=lambda r: r[0] / r[2])[ROUNDS // 2]
        print(f"{kind:<9}{1000 * scene:10.1f}{1 / scene:10.1f}{1000 * png:8.1f}"
              f"{scene / png:8.2f}{scene_cpu / png_cpu:11.2f}")


if __name__ == "__main__":
    main()
