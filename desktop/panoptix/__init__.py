"""Panoptix: a desktop annotation assistant for panoptic segmentation datasets."""

__version__ = "0.1.0"
