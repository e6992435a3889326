"""Task estimators: data in, trained and evaluated model out."""
