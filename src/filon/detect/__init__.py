"""Detectors of the regional typologies, one module each, registered by typology code."""

from filon.detect.alerts import Alert
from filon.detect.registry import Detector, all_detectors, detector

__all__ = ["Alert", "Detector", "all_detectors", "detector"]
