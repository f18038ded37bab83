"""Collection guards for optional extras: their modules' doctests need the extra."""

import importlib.util

collect_ignore: list[str] = []
if importlib.util.find_spec("matplotlib") is None:
    collect_ignore.append("src/bbmkit/plot.py")
if importlib.util.find_spec("dask") is None or importlib.util.find_spec("pyarrow") is None:
    collect_ignore.append("src/bbmkit/chunked.py")
