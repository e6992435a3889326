"""``vector_lr=True``: fitting the text classifier's late word-vector regression
(:class:`~lstmkit.models.vector_lr.VectorMeanLR`) on the rows the networks learn from.

scikit-learn's ``LogisticRegression`` sets its weights rather than a torch linear layer
trained by gradient steps: the problem is convex and small (one mean vector per text),
L-BFGS solves it to convergence in well under a second, and C = 10 (inverse L2
strength) is the value session 8 chose in 5-fold cross-validation of Pang & Lee's
training part (the better of 1 and 10; ``docs/classification-benchmarks.md``).
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from torch import Tensor

from ...models.vector_lr import VectorMeanLR

#: Inverse L2 strength of the regression (session 8's choice).
C = 10.0


@torch.no_grad()
def fit_vector_lr(module: VectorMeanLR, x: Tensor, lengths: Tensor, y: Tensor) -> None:
    """Set ``module``'s linear layer to the logistic regression of ``y`` (class codes
    (B,)) on the mean word vectors of ``(x, lengths)``; with two classes the log-odds
    are split evenly between the two logits (their difference is what counts)."""
    features = module.features(x, lengths).double().numpy()
    n_classes = module.linear.out_features
    codes = y.numpy()
    coef = np.zeros((n_classes, features.shape[1]))
    intercept = np.zeros(n_classes)
    present = np.unique(codes)
    if len(present) >= 2:
        model = LogisticRegression(C=C, max_iter=1000).fit(features, codes)
        if len(present) == 2:
            rows = present[[0, 1]]
            coef[rows] = np.r_[-model.coef_, model.coef_] / 2
            intercept[rows] = np.r_[-model.intercept_, model.intercept_] / 2
        else:
            coef[present], intercept[present] = model.coef_, model.intercept_
    module.linear.weight.copy_(torch.from_numpy(coef))
    module.linear.bias.copy_(torch.from_numpy(intercept))
