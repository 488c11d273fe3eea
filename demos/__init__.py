"""Runnable lessons on real data; `python -m demos` runs a short tour of them all."""
