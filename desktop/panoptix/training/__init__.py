"""Fine-tuning a segmentation model on a project's own labels (``panoptix train``).

torch and transformers, no Qt. :mod:`panoptix.training.record` (the ``training.json`` of a
trained model) imports neither, so the window can describe a model without loading torch.
"""
