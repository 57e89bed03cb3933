"""The run as a person sees it: one self-contained HTML page of report tests and their verdicts.

``model`` holds the plain data (tests, their samples and checks), ``inputs`` finds run JSON and saved
benchmark files and loads corpus facts, ``markdown`` renders an untrusted report safely with each number marked,
``svg`` draws the trend charts, ``assets`` holds the inline style, script and Content-Security-Policy, ``page``
assembles the document and ``build`` puts it together for the plugin (``--chimera-html``) and the CLI
(``pytest-chimera html``). Imports the core layers below it; only ``plugin`` and ``cli`` import it.
"""
