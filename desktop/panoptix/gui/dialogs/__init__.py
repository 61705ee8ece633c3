"""The window's dialogs: relabel, export, model and Segment Anything settings, shortcuts,
training and unsaved work."""
