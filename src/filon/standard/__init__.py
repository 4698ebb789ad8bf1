"""The regional minerals data standard, loaded from one declarative YAML file per table."""

from filon.standard.model import Column, Standard, Table, load_standard

__all__ = ["Column", "Standard", "Table", "load_standard"]
