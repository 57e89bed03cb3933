"""The checks of a report: markdown parsed into a ``ParsedReport`` (``report``), numbers in prose
(``numbers``), structure specs as JSON Schema (``structure``), numbers judged against facts (``claims`` finds
and reads them, ``consistency`` decides), and the assertions built on them (``assertions``). Never asks a model."""
