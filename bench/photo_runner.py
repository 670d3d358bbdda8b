"""The photo bench: how the function reads phone photos of handwriting (bench/photos.py).

``python -m bench.photos --split tune|report --n N [--sets a,b]`` prints a Markdown table, one row
per set: exact accuracy (the whole number read exactly; of a blank sheet, nothing read), photos
answered with nothing found or refused, numbers read with the wrong count of digits, digit-level
accuracy (1 - edit distance / length) and the median time to read one photo. ``--write`` keeps
the figures and every misreading in bench/photos.json; ``--memory`` also times one 12-megapixel
photo, as the JPEG sent and re-encoded as HEIC and AVIF, and measures the peak memory of a fresh
process reading each (bench/photo_memory.py); ``--save DIR`` writes each photo, named by its
truth and its reading.
``measure`` is what make bench runs (bench/run.py).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from bench import heldout, photos
from bench.photo_reading import read_number
from bench.reading import digit_level

REPO = Path(__file__).resolve().parents[1]
OUTPUT = REPO / "bench" / "photos.json"
# 12-megapixel photos take longest to make: their set has this share of the others' n.
FULL_SIZE_SHARE = 1 / 16
# The 12 MP photo as a phone sends it (JPEG), and re-encoded upright as the other formats phones
# send. The HEIC encoder's fastest preset shortens the bench; what is measured, decoding, still
# decodes every pixel.
MEMORY_FORMATS = ("jpeg", "heic", "avif")
REENCODE_QUALITY = 80
AVIF_SPEED = 8


def run_set(split: str, n: int, name: str, save: Path | None = None) -> dict:
    """Read ``n`` photos of set ``name`` and return its figures and every reading."""
    samples = photos.generate(split, n, name)
    reads, times = [], []
    for index, sample in enumerate(samples):
        started = time.perf_counter()
        reads.append(read_number(sample.data))
        times.append(time.perf_counter() - started)
        if save:
            folder = save / name
            folder.mkdir(parents=True, exist_ok=True)
            tag = f"{index:03d}-true{sample.number}-read{reads[-1]}"
            (folder / f"{tag}.jpg").write_bytes(sample.data)
    truths = [s.number for s in samples]
    answered = [(t, r) for t, r in zip(truths, reads, strict=True) if r]
    return {
        "n": len(samples),
        # A blank sheet's truth is "": answered right when nothing is read.
        "exact": float(np.mean([(r or "") == t for t, r in zip(truths, reads, strict=True)])),
        "nothing": sum(not r for r in reads),
        "wrong_count": sum(len(r) != len(t) for t, r in answered),
        "digit_level": float(
            np.mean(
                [
                    digit_level(r or "", t) if t else float(not r)
                    for t, r in zip(truths, reads, strict=True)
                ]
            )
        ),
        "median_ms": float(np.median(times) * 1000),
        "misses": [
            f"{index}: {t or 'blank'} read {r or 'nothing'}"
            for index, (t, r) in enumerate(zip(truths, reads, strict=True))
            if (r or "") != t
        ],
    }


def encoded(data: bytes, fmt: str) -> bytes:
    """Return the JPEG ``data`` as ``fmt``: itself, or its upright pixels as HEIC or AVIF."""
    if fmt == "jpeg":
        return data
    image = ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB")
    buffer = io.BytesIO()
    if fmt == "heic":
        import pillow_heif  # a development dependency: the function only decodes HEIC

        heif = pillow_heif.from_pillow(image)
        heif.save(buffer, quality=REENCODE_QUALITY, enc_params={"preset": "ultrafast"})
    elif fmt == "avif":
        image.save(buffer, "AVIF", quality=REENCODE_QUALITY, speed=AVIF_SPEED)
    else:
        raise ValueError(f"unknown format {fmt!r}; use one of {MEMORY_FORMATS}")
    return buffer.getvalue()


def measure_memory(split: str, fmt: str = "jpeg") -> dict:
    """Time and peak memory of a fresh process reading the first 12-megapixel photo of ``split``."""
    sample = photos.generate(split, 1, "full_size")[0]
    data = encoded(sample.data, fmt)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"photo.{fmt}"
        path.write_bytes(data)
        done = subprocess.run(
            [sys.executable, "-m", "bench.photo_memory", str(path)],
            capture_output=True,
            text=True,
            check=True,
        )
    figures = json.loads(done.stdout)
    return figures | {"format": fmt, "bytes": len(data), "truth": sample.number}


def code_measured() -> dict:
    """Return the commit measured and whether the function or its model differed from it."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()

    changed = git("status", "--porcelain", "--", "functions", "model/model.joblib")
    return {"commit": git("rev-parse", "--short", "HEAD"), "function_changed_since": bool(changed)}


def table(results: dict) -> str:
    """Return the figures as Markdown."""
    lines = [
        f"Photo bench, split {results['split']}, n={results['n']} per set "
        f"({results['full_size_n']} for full_size), {results['date']}, commit {results['commit']}"
        + (" with local changes to functions/" if results["function_changed_since"] else "")
        + ":",
        "",
        "| set | n | exact | nothing found / refused | wrong count | digit-level | ms (median) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, row in results["sets"].items():
        lines.append(
            f"| {name} | {row['n']} | {row['exact']:.1%} | {row['nothing']} | "
            f"{row['wrong_count']} | {row['digit_level']:.1%} | {row['median_ms']:.0f} |"
        )
    for memory in results.get("memory", {}).values():
        lines += ["", memory_sentence(memory)]
    return "\n".join(lines)


def memory_sentence(memory: dict) -> str:
    """Return one sentence on the time and memory of reading the 12 MP photo in one format."""
    return (
        f"One {memory['size']} {memory['format'].upper()} ({memory['bytes'] / 1e6:.1f} MB) in a"
        f" fresh process: first read {memory['first_ms']:.0f} ms, warm decode + read"
        f" {memory['warm_ms']:.0f} ms (median of {memory['repeats']}); peak RSS"
        f" {memory['peak_mb']:.0f} MB, of which {memory['ready_mb']:.0f} MB before the photo"
        " (imports and model)."
    )


def measure(
    split: str,
    n: int,
    names: list[str],
    memory: tuple[str, ...] = (),
    save: Path | None = None,
) -> dict:
    """Run the sets ``names`` of ``split`` and time the 12 MP photo in each of ``memory``'s formats.

    Each set has ``n`` photos, full_size its share of them (FULL_SIZE_SHARE).
    """
    full_size_n = max(3, round(n * FULL_SIZE_SHARE))
    results: dict = {
        "split": split,
        "n": n,
        "full_size_n": full_size_n,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load_average": round(os.getloadavg()[0], 2),
        **code_measured(),
        "sets": {},
    }
    for name in names:
        count = full_size_n if name == "full_size" else n
        results["sets"][name] = row = run_set(split, count, name, save)
        print(f"  {split} {name}: exact {row['exact']:.1%}", file=sys.stderr)
    if memory:
        results["memory"] = {fmt: measure_memory(split, fmt) for fmt in memory}
    return results


def main(argv: list[str] | None = None) -> None:
    """Run the photo bench and print its table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=heldout.SPLITS, default="tune")
    parser.add_argument("--n", type=int, default=50, help="photos per set")
    parser.add_argument("--sets", default=",".join(photos.SETS), help="comma-separated names")
    parser.add_argument("--write", action="store_true", help=f"write {OUTPUT.name}")
    parser.add_argument(
        "--memory", action="store_true", help="time and measure a 12 MP photo in each format"
    )
    parser.add_argument("--save", type=Path, help="write each photo here")
    args = parser.parse_args(argv)
    names = [name.strip() for name in args.sets.split(",") if name.strip()]
    unknown = set(names) - set(photos.SETS)
    if unknown:
        parser.error(f"unknown sets {sorted(unknown)}; known: {', '.join(photos.SETS)}")
    memory = MEMORY_FORMATS if args.memory else ()
    results = measure(args.split, args.n, names, memory, args.save)
    print(table(results))
    if args.write:
        OUTPUT.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
