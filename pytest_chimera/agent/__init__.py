"""The report agent: the two-stage Chimera agent (``chimera``), its personas, the plain-data ``ReportRun``
(``runs``) and the files a run leaves (``artifacts``). Uses a backend; knows nothing of pytest."""
