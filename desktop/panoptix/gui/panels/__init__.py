"""Dock panels: the image list, the segment list, the category picker and visibility column,
image notes, thresholds and the status bar."""
