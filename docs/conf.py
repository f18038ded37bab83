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

templates_path = ["_templates"]  # a class page lists its own methods, each with a page
autosummary_generate = True
autodoc_typehints = "none"  # numpydoc's Parameters sections carry the types
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
# docstrings are checked in the -W build: PR02 (a documented parameter the signature
# does not have); GL08, PR01, RT01 and SA01 follow once every docstring has its sections
numpydoc_validation_checks = {"PR02"}
numpydoc_validation_exclude = {
    r"\._[a-z]",  # private names
    r"\.__[a-z]+__$",  # dunder methods
}

# a dead reference fails the build too; builds run offline, so types of other
# libraries (no intersphinx inventories) are not checked
nitpicky = True
nitpick_ignore_regex = [
    (r"py:.*", r"(pandas|pd|numpy|np|scipy|matplotlib|pyarrow|polars|dask|attrs|datetime)(\..*)?"),
    (r"py:.*", r"(pathlib\.)?Path"),
]

myst_enable_extensions = ["colon_fence", "dollarmath"]
nb_execution_mode = "force"  # every example runs at every build
nb_execution_raise_on_error = True  # a broken example fails the build
nb_execution_timeout = 300
nb_merge_streams = True

html_theme = "pydata_sphinx_theme"
html_title = f"bbmkit {version}"
html_theme_options = {"navigation_with_keys": False, "show_toc_level": 2}
