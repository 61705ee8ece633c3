"""Segment Anything (SAM 2 and SAM) through transformers: click-to-segment, no Qt.

The image encoder runs once per image (:meth:`SamEngine.embed`, on the worker thread);
each prompt then runs only the prompt encoder and the mask decoder on the kept embedding
(:meth:`SamEngine.decode`). Preprocessing and mask upscaling are done here
(:mod:`.frame`, :mod:`.pixels`, :mod:`.masks`), because transformers' SAM 2 image
processor needs torchvision.
"""
