"""Modelling: validating and publishing diagrams, DMN tables and forms; model drafts and versions."""

# an element's documentation in a process's language file (i18n/<process id>.en.json): "<element id>.documentation"
DOC_SUFFIX = ".documentation"
