"""Regenerate the demo data shipped in src/bbmkit/datasets/data/.

    python scripts/make_demo_data.py

Writes gzipped CSVs with a fixed gzip timestamp, so the files change only
when the generator (or numpy's random streams) change, and a metadata.json
recording the seed and the numpy version that made them.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from bbmkit.datasets import DEFAULT_SEED, TABLES, make_demo

OUT = Path(__file__).resolve().parents[1] / "src" / "bbmkit" / "datasets" / "data"


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    demo = make_demo(seed=DEFAULT_SEED)
    for name in TABLES:
        frame = getattr(demo, name)
        frame.to_csv(
            OUT / f"{name}.csv.gz",
            index=False,
            compression={"method": "gzip", "mtime": 0},
            date_format="%Y-%m-%d %H:%M:%S",
        )
        print(f"{name}: {len(frame)} rows")
    meta = {"seed": DEFAULT_SEED, "numpy": np.__version__, "tables": list(TABLES)}
    (OUT / "metadata.json").write_text(json.dumps(meta, indent=2) + "\n")


if __name__ == "__main__":
    main()
