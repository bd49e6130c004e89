"""Write: rendered documents -> files in build/ (PDF, EPUB), always atomically."""
