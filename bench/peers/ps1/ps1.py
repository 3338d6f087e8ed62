"""Reference solution of the peers' PS1, as the module the grader makes from a notebook."""

import numpy as np


def two_layer_loss(X, y, W1, b1, W2, b2, reg):
    """Two-layer net forward/backward. See the instructions above."""
    # BEGIN SOLUTION
    N = X.shape[0]
    h_pre = X.dot(W1) + b1
    h = np.maximum(0, h_pre)
    scores = h.dot(W2) + b2
    if y is None:
        return scores
    shifted = scores - scores.max(axis=1, keepdims=True)
    probs = np.exp(shifted)
    probs /= probs.sum(axis=1, keepdims=True)
    loss = -np.log(probs[np.arange(N), y]).mean() + 0.5 * reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
    dscores = probs.copy()
    dscores[np.arange(N), y] -= 1
    dscores /= N
    dh = dscores.dot(W2.T)
    dh[h_pre <= 0] = 0
    return loss, {"W1": X.T.dot(dh) + reg * W1, "b1": dh.sum(axis=0),
                  "W2": h.T.dot(dscores) + reg * W2, "b2": dscores.sum(axis=0)}
    # END SOLUTION
