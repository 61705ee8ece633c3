"""What draws the image: the canvas view, the segment overlay, the photo and the overview."""
