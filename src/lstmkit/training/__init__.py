"""Training machinery: the :class:`Trainer`, checkpoints, model files, batch sources.

See ``docs/training.md`` for the guide.
"""

from .batches import BatchSource, SequenceBatches, StreamBatches, TensorBatches
from .callbacks import Callback, ProgressBar, StopAtEpoch
from .checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from .config import TrainConfig
from .model_files import FORMAT_VERSION, ModelFiles, load_model_dir, save_model_dir
from .seeding import seed_everything
from .steps import StepFn, supervised_step
from .trainer import Trainer

__all__ = [
    "FORMAT_VERSION",
    "BatchSource",
    "Callback",
    "Checkpoint",
    "ModelFiles",
    "ProgressBar",
    "SequenceBatches",
    "StepFn",
    "StopAtEpoch",
    "StreamBatches",
    "TensorBatches",
    "TrainConfig",
    "Trainer",
    "load_checkpoint",
    "load_model_dir",
    "save_checkpoint",
    "save_model_dir",
    "seed_everything",
    "supervised_step",
]
