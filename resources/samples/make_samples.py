"""Render the bundled sample images (JPEG): small synthetic scenes, our own work, CC0.

Run ``python resources/samples/make_samples.py`` to write the PNGs beside this file. The
scenes are deterministic (fixed seeds), so rerunning reproduces the same files.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

WIDTH, HEIGHT = 640, 480
HERE = Path(__file__).resolve().parent


def vertical_gradient(top: tuple[int, int, int], bottom: tuple[int, int, int],
                      height: int = HEIGHT, width: int = WIDTH) -> np.ndarray:
    t = np.linspace(0.0, 1.0, height)[:, None, None]
    rows = (1 - t) * np.array(top, float) + t * np.array(bottom, float)
    return np.repeat(rows, width, axis=1).astype(np.uint8)


def add_noise(image: np.ndarray, rng: np.random.Generator, amount: float = 6.0) -> np.ndarray:
    noisy = image.astype(np.float32) + rng.normal(0.0, amount, image.shape)
    return np.clip(noisy, 0, 255).astype(np.uint8)


def draw_car(img: np.ndarray, x: int, y: int, w: int, color: tuple[int, int, int]) -> None:
    h = w // 3
    cv2.rectangle(img, (x, y - h), (x + w, y), color, -1)
    cv2.rectangle(img, (x + w // 5, y - h - h * 2 // 3), (x + w * 4 // 5, y - h), color, -1)
    cv2.rectangle(img, (x + w // 4, y - h - h // 2), (x + w * 3 // 4, y - h - 4), (200, 225, 240),
                  -1)
    for cx in (x + w // 5, x + w * 4 // 5):
        cv2.circle(img, (cx, y), h // 2, (25, 25, 25), -1)


def draw_person(img: np.ndarray, x: int, y: int, size: int, color: tuple[int, int, int]) -> None:
    cv2.circle(img, (x, y - size), size // 5, (190, 150, 120), -1)
    cv2.rectangle(img, (x - size // 6, y - size * 4 // 5), (x + size // 6, y - size // 3), color,
                  -1)
    cv2.rectangle(img, (x - size // 7, y - size // 3), (x + size // 7, y), (50, 50, 90), -1)


def draw_tree(img: np.ndarray, x: int, y: int, size: int) -> None:
    cv2.rectangle(img, (x - size // 10, y - size), (x + size // 10, y), (80, 55, 35), -1)
    cv2.circle(img, (x, y - size), size // 2, (50, 125, 55), -1)


def street(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = vertical_gradient((120, 170, 230), (200, 220, 245))
    horizon = 300
    for i in range(5):
        x0 = i * 130 + int(rng.integers(-10, 10))
        top = int(rng.integers(80, 200))
        shade = int(rng.integers(120, 190))
        cv2.rectangle(img, (x0, top), (x0 + 120, horizon), (shade, shade - 20, shade - 40), -1)
        for wy in range(top + 15, horizon - 20, 30):
            for wx in range(x0 + 12, x0 + 110, 28):
                cv2.rectangle(img, (wx, wy), (wx + 14, wy + 16), (70, 90, 120), -1)
    img[horizon:] = vertical_gradient((95, 95, 100), (70, 70, 75), HEIGHT - horizon)
    cv2.rectangle(img, (0, horizon), (WIDTH, horizon + 18), (170, 165, 160), -1)
    for x in range(20, WIDTH, 90):
        cv2.rectangle(img, (x, 400), (x + 45, 408), (235, 235, 220), -1)
    palette = [(200, 40, 40), (40, 80, 190), (230, 200, 60), (60, 150, 70), (240, 240, 240)]
    for i in range(int(rng.integers(2, 4))):
        x = 40 + i * 210 + int(rng.integers(0, 40))
        draw_car(img, x, int(rng.integers(370, 450)), int(rng.integers(120, 170)),
                 palette[int(rng.integers(len(palette)))])
    for _ in range(int(rng.integers(1, 4))):
        draw_person(img, int(rng.integers(30, 610)), horizon + 16, 70,
                    palette[int(rng.integers(len(palette)))])
    draw_tree(img, int(rng.integers(20, 620)), horizon + 10, 110)
    return add_noise(img, rng)


def shapes(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = vertical_gradient(tuple(int(v) for v in rng.integers(40, 120, 3)),
                            tuple(int(v) for v in rng.integers(150, 240, 3)))
    for _ in range(7):
        color = tuple(int(v) for v in rng.integers(0, 256, 3))
        kind = int(rng.integers(3))
        cx, cy = int(rng.integers(60, 580)), int(rng.integers(60, 420))
        size = int(rng.integers(30, 90))
        if kind == 0:
            cv2.circle(img, (cx, cy), size, color, -1)
        elif kind == 1:
            cv2.rectangle(img, (cx - size, cy - size // 2), (cx + size, cy + size // 2), color, -1)
        else:
            pts = np.array([(cx, cy - size), (cx - size, cy + size), (cx + size, cy + size)])
            cv2.fillPoly(img, [pts.astype(np.int32)], color)
    return add_noise(img, rng)


def park(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = vertical_gradient((110, 160, 225), (215, 230, 245))
    img[260:] = vertical_gradient((95, 160, 70), (60, 120, 45), HEIGHT - 260)
    cv2.ellipse(img, (320, 480), (260, 90), 0, 180, 360, (170, 150, 110), -1)
    for x in (60, 180, 470, 590):
        draw_tree(img, x + int(rng.integers(-15, 15)), 300, int(rng.integers(110, 160)))
    cv2.circle(img, (540, 70), 35, (250, 235, 150), -1)
    for _ in range(3):
        draw_person(img, int(rng.integers(220, 420)), int(rng.integers(380, 440)), 80,
                    (int(rng.integers(50, 250)), 60, 120))
    return add_noise(img, rng)


SCENES = {
    "street_01.jpg": lambda: street(1),
    "street_02.jpg": lambda: street(7),
    "park_01.jpg": lambda: park(3),
    "shapes_01.jpg": lambda: shapes(11),
    "shapes_02.jpg": lambda: shapes(23),
}


def main() -> None:
    for name, render in SCENES.items():
        rgb = render()
        cv2.imwrite(str(HERE / name), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR),
                    [cv2.IMWRITE_JPEG_QUALITY, 90])
        print(f"wrote {HERE / name}")


if __name__ == "__main__":
    main()
