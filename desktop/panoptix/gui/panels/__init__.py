"""Dock panels: the image list, the segment list and the category picker."""
