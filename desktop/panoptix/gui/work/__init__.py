"""The worker side: the session, model requests, the save queue, the inference worker and
its client, Segment Anything jobs and the training process."""
