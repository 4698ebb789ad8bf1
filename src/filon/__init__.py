"""filon: compare minerals data across agencies and borders to surface illegal gold laundering."""

__version__ = "0.1.0"
