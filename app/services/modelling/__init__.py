"""Modelling: validating and publishing diagrams, DMN tables and forms; model drafts and versions."""
