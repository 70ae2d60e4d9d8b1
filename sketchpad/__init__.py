"""Sketchpad: a local music sketchpad built on small neural audio models."""

__version__ = "0.1.0"

PROJECT_NAME = "Sketchpad"
