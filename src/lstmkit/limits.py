"""Caps on every size and count lstmkit reads from a file or an option.

No real model or run comes near them; they stop a corrupt or hostile model file, or a
slip of the keyboard (``--steps 1000000000000``), from allocating terabytes or running
for days. Each cap is named here, and only here.
"""

from __future__ import annotations

from .errors import ConfigError

MiB, GiB = 2**20, 2**30

# files in a model directory or a run
MAX_JSON_BYTES = 64 * MiB  # config.json, scalers.json, tokenizer.json
MAX_WEIGHTS_BYTES = 16 * GiB  # model.safetensors, checkpoints
MAX_HEADER_BYTES = 100 * MiB  # the JSON header of a safetensors file (safetensors' own cap)
MAX_TRANSFORMS = 64  # <name>.json files listed in a model's config.json

# network sizes read from a model's config.json
MAX_HIDDEN_SIZE = 65_536  # hidden_size, embedding_size
MAX_NUM_LAYERS = 64
MAX_VOCAB_SIZE = 5_000_000  # tokens in tokenizer.json
MAX_FEATURES = 100_000  # inputs and targets of a forecaster
MAX_MODELS = 1_000  # ensemble members (n_models)
MAX_THREADS = 1_024  # num_threads
MAX_CACHE_SIZE = 1_000_000  # positions in a text model's continuous cache
MAX_BATCH = 1_000_000  # batch_size, bptt

# forecasting
MAX_STEPS = 100_000  # --steps, horizon
MAX_LOOKBACK = 1_000_000  # lookback, season, test and validation rows
MAX_PATHS = 100_000  # sampled paths for intervals (n_paths)

# text generation and suggestions
MAX_LENGTH = 1_000_000  # --length: tokens to generate
MAX_TOP = 10_000  # --top: suggestions
MAX_BEAM = 256  # --beam: beam search width


def check_count(name: str, value: int, high: int, *, low: int = 1) -> int:
    """``value`` if it is an integer in ``[low, high]``, else :class:`ConfigError`.

    Args:
        name: what to call the value in the message (``"--steps"``).
        value: the count.
        high: the cap (one of this module's constants).
        low: the smallest valid value.

    Example:
        >>> check_count("--steps", 12, MAX_STEPS)
        12
        >>> check_count("--steps", 10**12, MAX_STEPS)
        Traceback (most recent call last):
        ...
        lstmkit.errors.ConfigError: --steps must be between 1 and 100000, got 1000000000000
    """
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, got {value!r}")
    return value
