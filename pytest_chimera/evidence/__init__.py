"""The evidence: a benchmark corpus read into tables (``corpus``) and the facts computed from it (``facts``),
with the label words that name each fact (``labels``) and synthetic corpora of the same shape (``synthetic``).
Never asks a model."""
