"""The product-limit (Kaplan–Meier) and Aalen–Johansen estimates by their formulas, over
ADTTE's days: what the tests compare the registry's statistics and R's with, computed
without the registry's code."""

import numpy as np


def product_limit(days: np.ndarray, events: np.ndarray, t: float) -> float:
    survival = 1.0
    for u in np.unique(days[events]):
        if u > t:
            break
        survival *= 1 - np.sum((days == u) & events) / np.sum(days >= u)
    return survival


def aalen_johansen(days: np.ndarray, kinds: np.ndarray, t: float) -> float:
    """The cumulative incidence of kind 1, kind 2 competing, 0 censored; censorings at a
    time of events count as at risk then."""
    survival, incidence = 1.0, 0.0
    for u in np.unique(days[kinds > 0]):
        if u > t:
            break
        at_risk = np.sum(days >= u)
        incidence += survival * np.sum((days == u) & (kinds == 1)) / at_risk
        survival *= 1 - np.sum((days == u) & (kinds > 0)) / at_risk
    return incidence
