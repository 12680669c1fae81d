"""Printable reports (PDF) built from service results: no Qt, no database."""
