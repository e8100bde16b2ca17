"""Styrelsens lägesbild: the situation picture for the municipal board.

One pipeline, so the page, the presentation, the PPTX and the PDF show the same figures:

* :mod:`pax_geo.board.figures` reads the database (board-level release only) into a JSON-able
  dict; a presented lägesbild stores exactly that dict, so it never changes afterwards;
* :mod:`pax_geo.board.slides` turns figures + comments into :class:`~pax_geo.board.model.Slide`
  objects (text, tables, images), in Swedish or English;
* renderers draw the same slides: :mod:`pax_geo.board.html` (presentation mode),
  :mod:`pax_geo.board.pptx_export` and :mod:`pax_geo.board.pdf_export`.
"""
