"""Readable reprs for result classes that hold tables (plain text and notebook HTML)."""

from __future__ import annotations

import html

import attrs
import pandas as pd

__all__ = ["TablesRepr"]


class TablesRepr:
    """Mixin for frozen attrs results: tables by shape in ``repr``, in full in notebooks."""

    def _parts(self) -> list[tuple[str, object]]:
        fields = attrs.fields(type(self))  # type: ignore[arg-type]  # mixed into attrs classes only
        return [(field.name, getattr(self, field.name)) for field in fields]

    def __repr__(self) -> str:
        shown = []
        for name, value in self._parts():
            if isinstance(value, pd.DataFrame):
                shown.append(f"{name}=<DataFrame {value.shape[0]} x {value.shape[1]}>")
            elif isinstance(value, pd.Series):
                shown.append(f"{name}=<Series {len(value)}>")
            else:
                shown.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(shown)})"

    def _repr_html_(self) -> str:
        blocks = [f"<strong>{html.escape(type(self).__name__)}</strong>"]
        for name, value in self._parts():
            if isinstance(value, pd.DataFrame | pd.Series):
                table = value.to_frame() if isinstance(value, pd.Series) else value
                blocks.append(
                    f"<p><code>{html.escape(name)}</code></p>{table.to_html(max_rows=20)}"
                )
            else:
                blocks.append(
                    f"<p><code>{html.escape(name)}</code> = {html.escape(repr(value))}</p>"
                )
        return "\n".join(blocks)
