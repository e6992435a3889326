"""Data: files and frames in, validated tensors out; bundled and synthetic datasets."""
