"""The ``lstmkit`` command line: argument parsing only; the work lives in ``tasks/``."""
