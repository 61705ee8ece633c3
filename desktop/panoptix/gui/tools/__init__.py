"""What turns pointer and keys into edits: the tool base and edit tools, the editor, vertex,
proposal and Segment Anything tools."""
