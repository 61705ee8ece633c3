"""Qt-free core: segment maps, undoable edits, categories, the project store, COCO I/O."""
