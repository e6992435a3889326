"""Time-series forecasting: the :class:`Forecaster` estimator, metrics and baselines.

See ``docs/forecasting.md`` for the guide.
"""

from .baselines import baselines
from .estimator import Forecaster
from .metrics import METRICS
from .settings import ForecastSettings

__all__ = ["METRICS", "ForecastSettings", "Forecaster", "baselines"]
