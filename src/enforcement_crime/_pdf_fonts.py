"""PDF font subsets without the OpenType layout tables, for :func:`enforcement_crime.reports.save_figure`.

matplotlib embeds each font of a PDF as a Type 42 subset made by fontTools; most of that time
goes into subsetting the layout tables (GSUB, GPOS, GDEF, MATH) that a PDF viewer never reads.
:func:`pdf_font_subsets_without_layout_tables` replaces matplotlib's private subsetting function
with one that drops them, only while our own PDFs are saved, and falls back to matplotlib's
function whenever the hook is not as expected or the lean subset fails.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["pdf_font_subsets_without_layout_tables"]

#: Tables that matplotlib's own subsetting drops (``_backend_pdf_ps.get_glyphs_subset``; a test
#: compares this list with that function's), dropped here too.
_MPL_DROPPED_TABLES = (
    "FFTM", "PfEd", "BDF", "meta", "MERG", "TSIV", "Zapf", "bdat", "bloc", "cidg", "fdsc", "feat",
    "fmtx", "fond", "just", "kerx", "ltag", "morx", "trak", "xref",
)  # fmt: skip
#: OpenType layout tables (substitutions, positioning, glyph classes, math layout). A PDF viewer
#: draws each glyph where the content stream puts it (matplotlib lays text out itself, from the
#: font file on disk) and never reads them; subsetting them is most of the subsetting time.
_PDF_UNUSED_TABLES = ("GSUB", "GPOS", "GDEF", "MATH")

_subset_patch_lock = threading.Lock()
_subset_patch_depth = 0


def _font_subset_hook():
    """matplotlib's PDF font-subset function, its module and result type; None if they changed.

    matplotlib (pinned 3.11) embeds a Type 42 font in a PDF through the private
    ``matplotlib.backends._backend_pdf_ps.get_glyphs_subset(fontfile, glyphs)``,
    a context manager giving a ``SubsetResults(font, glyph_index_map)``, looked
    up on that module when each font is embedded
    (``backend_pdf.PdfFile.embedTTF``). When any of that is no longer so
    (another signature, result type, or call site), None: PDFs are then
    saved with matplotlib's own subsetting. ``tests/test_reports.py`` fails
    in that case, so the change is noticed.
    """
    import inspect

    try:
        from matplotlib.backends import _backend_pdf_ps as pdf_ps
        from matplotlib.backends import backend_pdf

        func = pdf_ps.get_glyphs_subset
        func = getattr(func, "_enforcement_crime_original", func)  # already replaced: the original
        results = pdf_ps.SubsetResults
        params = list(inspect.signature(func).parameters)
        call_site = _calls_subset_hook(backend_pdf.PdfFile.embedTTF)
    except (ImportError, AttributeError, OSError, TypeError, ValueError):
        return None
    if params != ["fontfile", "glyphs"] or not call_site:
        return None
    if getattr(results, "_fields", None) != ("font", "glyph_index_map"):
        return None
    return pdf_ps, func, results


@functools.lru_cache(maxsize=4)
def _calls_subset_hook(embed) -> bool:
    """Whether the source of ``embed`` (``PdfFile.embedTTF``) calls ``get_glyphs_subset`` on its
    module: read once per function object, not at every PDF saved."""
    import inspect

    return "_backend_pdf_ps.get_glyphs_subset(" in inspect.getsource(embed)


def _lean_glyphs_subset(fontfile, glyphs, results):
    """``get_glyphs_subset`` as matplotlib writes it, with :data:`_PDF_UNUSED_TABLES` dropped too.

    The same fontTools options otherwise (glyph names, recommended glyphs,
    the face of a collection, no timestamp recalculation), so the embedded
    font keeps every requested glyph's outline, metrics and hinting.
    """
    from fontTools import subset

    options = subset.Options(glyph_names=True, recommended_glyphs=True)
    options.drop_tables += [*_MPL_DROPPED_TABLES, *_PDF_UNUSED_TABLES]
    options.font_number = fontfile.face_index
    font = subset.load_font(fontfile, options)
    try:
        _drop_before_subsetting(font, options)
        subsetter = subset.Subsetter(options=options)
        subsetter.populate(gids=glyphs)
        subsetter.subset(font)
    except BaseException:
        font.close()
        raise
    return results(font, subsetter.glyph_index_map)


def _drop_before_subsetting(font, options) -> None:
    """Delete from ``font`` the tables the fontTools subsetter drops before anything else.

    ``Subsetter.subset`` first reads the layout tables (GDEF, GSUB, GPOS), to
    convert their in-memory formats, and only then drops every table of
    ``options.drop_tables``, and ``kern`` when the font has GPOS (unless
    ``options.legacy_kern``: it looks at ``kern`` before GPOS is dropped).
    Deleting the same tables before it starts leaves it the same font to
    subset, without reading tables it throws away.
    """
    drop = [tag for tag in font.keys() if tag.strip() in options.drop_tables]
    if "kern" in font and "GPOS" in font and not options.legacy_kern:
        drop.append("kern")
    for tag in drop:
        if tag in font:
            del font[tag]


#: Lean subsets already made in this process: (font file, face, glyphs) -> (font bytes, glyph
#: index map); the figures of a notebook share many (e.g. the bold "SYNTHETIC DATA" mark).
_SUBSETS: dict[tuple, tuple[bytes, dict]] = {}
_SUBSETS_MAX = 64


def _cached_lean_subset(fontfile, glyphs, results):
    """:func:`_lean_glyphs_subset`, made once per font file, face and glyph set.

    The subset is kept as the bytes matplotlib embeds (``TTFont.save`` with
    the tables in place) and handed back as a font read from them, which
    saves to the same bytes (no table is decompiled, no timestamp or bounds
    recalculated): the PDF is the same as with a fresh subset.
    """
    import io

    from fontTools.ttLib import TTFont

    key = (os.fspath(fontfile), getattr(fontfile, "face_index", 0), frozenset(glyphs))
    hit = _SUBSETS.get(key)
    if hit is None:
        subset = _lean_glyphs_subset(fontfile, glyphs, results)
        with subset.font:
            buf = io.BytesIO()
            subset.font.save(buf, reorderTables=False)
        hit = (buf.getvalue(), dict(subset.glyph_index_map))
        if len(_SUBSETS) >= _SUBSETS_MAX:
            _SUBSETS.pop(next(iter(_SUBSETS)))
        _SUBSETS[key] = hit
    data, index_map = hit
    font = TTFont(io.BytesIO(data), recalcBBoxes=False, recalcTimestamp=False)
    return results(font, dict(index_map))


@contextmanager
def pdf_font_subsets_without_layout_tables() -> Iterator[None]:
    """While saving a PDF, subset embedded fonts without the OpenType layout tables.

    Replaces matplotlib's private ``get_glyphs_subset`` (see
    :func:`_font_subset_hook`) for the duration of the ``with`` block by
    :func:`_lean_glyphs_subset` (once per glyph set, :func:`_cached_lean_subset`); any error there falls back to matplotlib's
    own function for that font. Nothing is replaced when the hook is not as
    expected. Nested and concurrent uses share one replacement, put back
    when the last one ends. Fonts stay embedded as Type 42 (TrueType)
    subsets, and the same figure still gives the same bytes.
    """
    global _subset_patch_depth
    hook = _font_subset_hook()
    if hook is None:
        yield
        return
    pdf_ps, original, results = hook

    @contextmanager
    def lean(fontfile, glyphs):
        try:
            subset = _cached_lean_subset(fontfile, glyphs, results)
        except Exception:  # matplotlib's own subsetting, as without this block
            with original(fontfile, glyphs) as subset:
                yield subset
            return
        with subset.font:
            yield subset

    lean._enforcement_crime_original = original  # type: ignore[attr-defined]
    with _subset_patch_lock:
        if _subset_patch_depth == 0:
            pdf_ps.get_glyphs_subset = lean
        _subset_patch_depth += 1
    try:
        yield
    finally:
        with _subset_patch_lock:
            _subset_patch_depth -= 1
            if _subset_patch_depth == 0:
                current = pdf_ps.get_glyphs_subset
                pdf_ps.get_glyphs_subset = getattr(current, "_enforcement_crime_original", current)
