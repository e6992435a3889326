"""Time-series forecasting: the :class:`Forecaster` estimator, metrics and baselines.

See ``docs/forecasting.md`` for the guide.
"""

from .baselines import baselines
from .estimator import Forecaster
from .metrics import METRICS
from .options import ForecastOptions

__all__ = ["METRICS", "ForecastOptions", "Forecaster", "baselines"]
