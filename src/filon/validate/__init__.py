"""Validation of data packages against the standard: every problem names file, row, column and fix."""

from filon.validate.problems import Problem, ValidationReport
from filon.validate.package import validate_package

__all__ = ["Problem", "ValidationReport", "validate_package"]
