"""enforcement_crime: difference-in-differences studies of immigration enforcement and crime.

Subpackages
-----------
config      paths derived from the project root
schema      the county-year panel schema shared by synthetic and real data
synthetic   the built-in synthetic panel with known true effects
sources     one loader per raw public source
build       treatment timing and study panels
estimators  classic and modern DiD behind one result type
plots       figure style and save functions (PDF + PNG + CSV)
tables      table export (LaTeX + CSV)
"""

__version__ = "0.1.0"
