"""What photos and share cards cost a build (plugin kilas_images).

    python -m kilas.bench_images --articles 10000 --photos 0.1

Writes `invoke bench`'s corpus (kilas.bench.write_corpus), gives a share of
its items a photo of their own (distinct synthetic camera-like JPEGs, drawn
here with Pillow, with EXIF), then times whole processes (wall clock and CPU): a
clean Kilas build (no cache), a Kilas build from the warm image cache (output
and every other cache removed, images kept), and stock Pelican on the same
files (which copies the photos as they are). Also the CPU time of drawing one
card and of making one photo's copies, in this process. The last line is
machine-readable: ``bench_images articles=N photos=P kilas_full_s=
kilas_full_cpu_s= kilas_warm_images_s= kilas_warm_images_cpu_s=
pelican_full_s= pelican_full_cpu_s= full_ratio= ms_per_card= ms_per_photo=``.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
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


def run(command: list[str], cwd: Path) -> tuple[float, float]:
    """Wall-clock and CPU seconds (user + system, the command and every
    process it waited for) of one command. CPU time says what a build costs
    when other work shares the machine."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status):
        raise RuntimeError(f"{command[:4]} failed:\n{process.stderr.read()[-3000:]}")
    return seconds, usage.ru_utime + usage.ru_stime


def run_pelican(content: Path, output: Path) -> tuple[float, float]:
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


def per_card_ms(count: int = 300) -> float:
    sys.path.insert(0, str(PROJECT / "plugins"))
    from kilas_images.render import CardDesign, CardJob, make_cards  # noqa: PLC0415

    fonts = PROJECT / "theme" / "fonts"
    design = CardDesign(
        str(fonts / "NotoSans-Bold.ttf"), str(fonts / "NotoSans-Regular.ttf"),
        (155, 28, 28), (255, 255, 255), (26, 26, 26), (242, 239, 232), "Kilas",
    )  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        jobs = [
            CardJob(
                f"{folder}/{n}.png",
                "EKONOMI · JAWA BARAT",
                f"Harga Beras Naik {n} Persen di Pasar Induk, Pedagang Menunggu"
                " Operasi Pasar dari Pemerintah Daerah",
                f"Kabar Nusantara · Senin, {n % 28 + 1} Juli 2024 · 10.30 WIB",
            )
            for n in range(count)
        ]
        make_cards(design, jobs[:5])
        started = time.process_time()
        make_cards(design, jobs)
        return (time.process_time() - started) / count * 1000


def per_photo_ms(folder: Path, count: int = 5) -> float:
    sys.path.insert(0, str(PROJECT / "plugins"))
    from kilas_images.render import PhotoJob, make_photo  # noqa: PLC0415

    photos = sorted((folder / "images").glob("*.jpg"))[:count]
    with tempfile.TemporaryDirectory() as cache:
        started = time.process_time()
        for number, photo in enumerate(photos):
            job = PhotoJob(
                str(photo), f"{cache}/{number}", PHOTO_SIZE,
                (240, 480, 800, 1200, 1600), ("webp", "jpeg"),
                (("webp", 75), ("jpeg", 80)),
            )  # fmt: skip
            assert make_photo(job) is None
        return (time.process_time() - started) / max(1, len(photos)) * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kilas.bench_images")
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--photos", type=float, default=0.1, help="share of items")
    parser.add_argument("--workdir", type=Path, help="keep the corpus and outputs")
    parser.add_argument("--no-pelican", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kilas-bench-images-") as tmp:
        work = Path(args.workdir or tmp).resolve()
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        content, output = work / "corpus" / "content", work / "out" / "kilas"
        write_corpus(work / "corpus", args.articles, 1, "items")
        photos = add_photos(content, args.photos)
        fields = {
            "python": sys.executable,
            "content": str(content),
            "output": str(output),
        }
        command = [part.format(**fields) for part in KILAS_CMD]
        full = run(command, PROJECT)
        print(f"kilas clean build: {full[0]:.2f} s, {full[1]:.2f} s CPU", flush=True)
        cache = output.parent / ".kilas-cache" / output.name
        for entry in cache.iterdir():
            if entry.name == "images":
                continue
            if entry.is_dir():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        shutil.rmtree(output)
        warm = run(command, PROJECT)
        print(f"kilas, images cached: {warm[0]:.2f} s, {warm[1]:.2f} s CPU", flush=True)
        pelican = (0.0, 0.0)
        if not args.no_pelican:
            pelican = run_pelican(content, work / "out" / "pelican")
            print(
                f"stock pelican: {pelican[0]:.2f} s, {pelican[1]:.2f} s CPU", flush=True
            )
        card, photo = per_card_ms(), per_photo_ms(content)
    ratio = full[0] / pelican[0] if pelican[0] else 0.0
    print(
        f"bench_images articles={args.articles} photos={photos}"
        f" kilas_full_s={full[0]:.2f} kilas_full_cpu_s={full[1]:.2f}"
        f" kilas_warm_images_s={warm[0]:.2f} kilas_warm_images_cpu_s={warm[1]:.2f}"
        f" pelican_full_s={pelican[0]:.2f} pelican_full_cpu_s={pelican[1]:.2f}"
        f" full_ratio={ratio:.2f} ms_per_card={card:.2f} ms_per_photo={photo:.1f}",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
