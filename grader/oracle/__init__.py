"""The reference is the oracle: the reference solution imported in the grader's trusted process
(:mod:`.reference`), trained on CIFAR-10 with the calibrated hyperparameters
(:mod:`.calibration`), or replayed offline from answers recorded at release (:mod:`.replay`).

May import: :mod:`grader.jail` (the wire codec), :mod:`grader.data`, :mod:`grader.core`.
"""
