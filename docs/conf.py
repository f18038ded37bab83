"""Sphinx configuration: pydata-sphinx-theme, numpydoc, MyST notebooks executed at build time."""

from __future__ import annotations

import bbmkit

project = "bbmkit"
author = "bbmkit developers"
copyright = "2026, bbmkit developers"
version = release = bbmkit.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "myst_nb",
]

source_suffix = {".rst": "restructuredtext", ".md": "myst-nb"}
exclude_patterns = ["_build", "generated/*.md"]
root_doc = "index"

autosummary_generate = True
autodoc_typehints = "none"  # numpydoc's Parameters sections carry the types
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

myst_enable_extensions = ["colon_fence", "dollarmath"]
nb_execution_mode = "force"  # every example runs at every build
nb_execution_raise_on_error = True  # a broken example fails the build
nb_execution_timeout = 300
nb_merge_streams = True

html_theme = "pydata_sphinx_theme"
html_title = f"bbmkit {version}"
html_theme_options = {"navigation_with_keys": False, "show_toc_level": 2}
