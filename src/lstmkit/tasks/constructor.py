"""The constructor of every task estimator, made from its settings dataclass: keyword-only
arguments stored unchanged (scikit-learn's rule) and validated at once."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from typing import Any

from ..errors import ConfigError

RUNTIME = ("train", "progress")  # constructor arguments besides the settings' fields


def make_init(cls: type) -> Callable[..., None]:
    """An ``__init__`` whose keyword-only arguments are ``cls.settings_class``'s fields
    plus ``train`` and ``progress``, storing each unchanged and then validating them.

    scikit-learn reads the parameters from the signature, so it is set explicitly.
    """
    fields = dataclasses.fields(cls.settings_class)
    defaults = {f.name: f.default for f in fields}
    defaults.update(train=None, progress=False)
    clash = sorted(set(f.name for f in fields) & set(RUNTIME))
    if clash:
        raise TypeError(f"{cls.__name__}: settings fields may not be named {clash}")

    def __init__(self: Any, **params: Any) -> None:
        unknown = sorted(set(params) - set(defaults))
        if unknown:
            raise ConfigError(f"{type(self).__name__}: unknown argument"
                              f"{'s' * (len(unknown) > 1)} {', '.join(unknown)}; valid: "
                              f"{', '.join(defaults)}")
        for name, default in defaults.items():
            setattr(self, name, params.get(name, default))
        self.settings  # noqa: B018 -- validates now, so a bad argument fails here
        self.train_config  # noqa: B018

    __init__.__signature__ = inspect.Signature(
        [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
        + [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=d)
           for n, d in defaults.items()])
    __init__.__qualname__ = f"{cls.__qualname__}.__init__"
    __init__.__doc__ = f"Make a {cls.__name__}; the arguments are the fields of " \
                       f"{cls.settings_class.__name__}, plus train and progress."
    return __init__
