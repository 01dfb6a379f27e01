"""What photos and share cards cost a build (plugin kilas_images).

    python -m kilas.bench_images --articles 10000 --photos 0.1 [--runs 3]

Writes `invoke bench`'s corpus (kilas.bench.write_corpus), gives a share of
its items a photo of their own (distinct synthetic camera-like 1600x1067
JPEGs, drawn here with Pillow, with EXIF), then times whole processes (wall
clock and CPU, every process the build waited for counted): a clean Kilas
build (no cache at all), a Kilas build from the warm image cache (output and
every other cache removed, images kept), each ``--runs`` times (the last line
gives the medians), and stock Pelican on the same files (which copies the
photos as they are). Each build's line says when its phases ended (read,
write, finalize). Also the CPU time, in this process, of drawing one card
and of making one photo's files: the corpus's photos and 4000x3000 ones.
``--reuse`` keeps the corpus already in ``--workdir``. The last line is
machine-readable: ``bench_images articles=N photos=P runs=R kilas_full_s=
kilas_full_cpu_s= kilas_warm_images_s= kilas_warm_images_cpu_s=
pelican_full_s= pelican_full_cpu_s= full_ratio= ms_per_card= ms_per_photo=
ms_per_camera_photo=``.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from PIL import Image

from kilas.bench import KILAS_CMD, PELICAN_SETTINGS, write_corpus

PROJECT = Path(__file__).resolve().parent.parent
PHOTO_SIZE = (1600, 1067)


def run(command: list[str], cwd: Path) -> tuple[float, float, str]:
    """Wall-clock and CPU seconds (user + system, the command and every
    process it waited for) of one command, and what it logged. CPU time says
    what a build costs when other work shares the machine."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=log
        )
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        log.seek(0)
        stderr = log.read().decode("utf-8", "replace")
    if os.waitstatus_to_exitcode(status):
        raise RuntimeError(f"{command[:4]} failed:\n{stderr[-3000:]}")
    return seconds, usage.ru_utime + usage.ru_stime, stderr


def run_pelican(content: Path, output: Path) -> tuple[float, float, str]:
    with tempfile.TemporaryDirectory(prefix="kilas-pelican-") as folder:
        settings = Path(folder) / "pelicanconf.py"
        settings.write_text(PELICAN_SETTINGS, encoding="utf-8")
        command = [sys.executable, "-m", "pelican", str(content), "-s", str(settings)]
        return run([*command, "-o", str(output), "-q"], Path(folder))


def _photo(job: tuple[str, int]) -> None:
    """A distinct camera-like JPEG: colour areas, grain, an EXIF block."""
    path, seed = job
    rng = random.Random(seed)
    small = Image.new("RGB", (24, 16))
    small.putdata([tuple(rng.randrange(256) for _ in range(3)) for _ in range(384)])
    picture = small.resize(PHOTO_SIZE, Image.Resampling.BICUBIC)
    grain = Image.effect_noise(PHOTO_SIZE, 24).convert("RGB")
    exif = Image.Exif()
    exif[0x010F] = "KameraBench"
    Image.blend(picture, grain, 0.12).save(path, quality=85, exif=exif.tobytes())


def add_photos(content: Path, share: float, seed: int = 1) -> int:
    """Give ``share`` of the items an ``Image`` of their own; returns how many."""
    items = sorted((content / "items").rglob("*.md"))
    rng = random.Random(seed)
    chosen = rng.sample(items, round(len(items) * share))
    images = content / "images"
    images.mkdir(exist_ok=True)
    jobs = []
    for number, item in enumerate(chosen):
        name = f"foto-{number:05d}.jpg"
        jobs.append((str(images / name), seed * 100_000 + number))
        head, rest = item.read_text(encoding="utf-8").split("\n", 1)
        item.write_text(
            f"{head}\nImage: images/{name}\nImage_Alt: Foto ilustrasi {number}\n"
            f"Image_Credit: Fotografer Bench\n{rest}",
            encoding="utf-8",
        )
    with ProcessPoolExecutor() as pool:
        list(pool.map(_photo, jobs, chunksize=16))
    return len(jobs)


def _plugin():
    """The plugin's modules, loaded when first measured."""
    from kilas_images import kilas_images, render  # noqa: PLC0415

    return kilas_images, render


def per_card_ms(count: int = 300) -> float:
    """CPU milliseconds of one drawn card in a worker: drawing, PNG, file."""
    _, render = _plugin()
    fonts = PROJECT / "theme" / "fonts"
    design = render.CardDesign(
        str(fonts / "NotoSans-Bold.ttf"), str(fonts / "NotoSans-Regular.ttf"),
        (155, 28, 28), (255, 255, 255), (26, 26, 26), (242, 239, 232), "Kilas",
    )  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        jobs = [
            render.CardJob(
                f"{folder}/{n}.png",
                "EKONOMI · JAWA BARAT",
                f"Harga Beras Naik {n} Persen di Pasar Induk, Pedagang Menunggu"
                " Operasi Pasar dari Pemerintah Daerah",
                f"Kabar Nusantara · Senin, {n % 28 + 1} Juli 2024 · 10.30 WIB",
            )
            for n in range(count)
        ]
        render.make_cards(design, jobs[:5])
        started = time.process_time()
        render.make_cards(design, jobs)
        return (time.process_time() - started) / count * 1000


def per_photo_ms(photos: list[Path], count: int = 5) -> float:
    """CPU milliseconds of one photo's files (the plugin's default widths,
    formats and qualities): the best of ``count`` photos."""
    kilas_images, render = _plugin()
    defaults = kilas_images.DEFAULTS
    formats = tuple(defaults["KILAS_IMAGES_FORMATS"])
    quality = tuple((f, defaults["KILAS_IMAGES_QUALITY"][f]) for f in formats)
    best = float("inf")
    with tempfile.TemporaryDirectory() as cache:
        for number, photo in enumerate(photos[:count]):
            with Image.open(photo) as image:
                width, height = image.size
                if render.exif_orientation(image) in (5, 6, 7, 8):
                    width, height = height, width
            top = max(defaults["KILAS_IMAGES_WIDTHS"])
            widths = sorted(
                {w for w in defaults["KILAS_IMAGES_WIDTHS"] if w < width}
                | {min(width, top)}
            )
            job = render.PhotoJob(
                str(photo), f"{cache}/{number}", (width, height), tuple(widths),
                formats, quality,
            )  # fmt: skip
            started = time.process_time()
            assert render.make_photo(job) is None
            best = min(best, time.process_time() - started)
    return best * 1000


def camera_photos(folder: Path, count: int = 3) -> list[Path]:
    """4000x3000 camera JPEGs (the size the issue names), landscape."""
    paths = []
    for number in range(count):
        path = folder / f"kamera-{number}.jpg"
        rng = random.Random(number)
        small = Image.new("RGB", (40, 30))
        small.putdata(
            [tuple(rng.randrange(256) for _ in range(3)) for _ in range(1200)]
        )
        picture = small.resize((4000, 3000), Image.Resampling.BICUBIC)
        grain = Image.effect_noise((4000, 3000), 30).convert("RGB")
        Image.blend(picture, grain, 0.15).save(path, quality=88)
        paths.append(path)
    return paths


def _phases(stderr: str) -> str:
    """``read 12.3 write 40.1 finalize 52.0``: when each phase of the build
    ended, in seconds from its start (from its --verbose log)."""
    found = re.findall(r"kilas: (\w+) done at ([\d.]+) s", stderr)
    return " ".join(f"{name} {seconds}" for name, seconds in found)


def _clear_except_images(output: Path) -> None:
    """Remove the site and every cache but the image cache."""
    cache = output.parent / ".kilas-cache" / output.name
    for entry in cache.iterdir():
        if entry.name == "images":
            continue
        if entry.is_dir():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    shutil.rmtree(output)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kilas.bench_images")
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--photos", type=float, default=0.1, help="share of items")
    parser.add_argument("--workdir", type=Path, help="keep the corpus and outputs")
    parser.add_argument(
        "--reuse", action="store_true", help="use the corpus already in --workdir"
    )
    parser.add_argument("--runs", type=int, default=1, help="builds of each kind")
    parser.add_argument("--no-pelican", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kilas-bench-images-") as tmp:
        work = Path(args.workdir or tmp).resolve()
        content, output = work / "corpus" / "content", work / "out" / "kilas"
        if args.reuse and content.is_dir():
            photos = len(list((content / "images").glob("foto-*.jpg")))
        else:
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir(parents=True)
            write_corpus(work / "corpus", args.articles, 1, "items")
            photos = add_photos(content, args.photos)
        fields = {
            "python": sys.executable,
            "content": str(content),
            "output": str(output),
        }
        command = [*(part.format(**fields) for part in KILAS_CMD), "--verbose"]
        fulls, warms = [], []
        for _ in range(args.runs):
            shutil.rmtree(output.parent, ignore_errors=True)
            full = run(command, PROJECT)
            print(
                f"kilas clean build: {full[0]:.2f} s, {full[1]:.2f} s CPU"
                f" ({_phases(full[2])})",
                flush=True,
            )
            _clear_except_images(output)
            warm = run(command, PROJECT)
            print(
                f"kilas, images cached: {warm[0]:.2f} s, {warm[1]:.2f} s CPU"
                f" ({_phases(warm[2])})",
                flush=True,
            )
            fulls.append(full[:2])
            warms.append(warm[:2])
        full = tuple(statistics.median(values) for values in zip(*fulls, strict=True))
        warm = tuple(statistics.median(values) for values in zip(*warms, strict=True))
        pelican = (0.0, 0.0)
        if not args.no_pelican:
            pelican = run_pelican(content, work / "out" / "pelican")[:2]
            print(
                f"stock pelican: {pelican[0]:.2f} s, {pelican[1]:.2f} s CPU", flush=True
            )
        card = per_card_ms()
        photo = per_photo_ms(sorted((content / "images").glob("foto-*.jpg")))
        camera = per_photo_ms(camera_photos(work))
    ratio = full[0] / pelican[0] if pelican[0] else 0.0
    print(
        f"bench_images articles={args.articles} photos={photos} runs={args.runs}"
        f" kilas_full_s={full[0]:.2f} kilas_full_cpu_s={full[1]:.2f}"
        f" kilas_warm_images_s={warm[0]:.2f} kilas_warm_images_cpu_s={warm[1]:.2f}"
        f" pelican_full_s={pelican[0]:.2f} pelican_full_cpu_s={pelican[1]:.2f}"
        f" full_ratio={ratio:.2f} ms_per_card={card:.2f} ms_per_photo={photo:.1f}"
        f" ms_per_camera_photo={camera:.1f}",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
