"""govner: entities from Chinese government work reports."""
from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["Predictor", "__version__"]


def __getattr__(name: str):
    # Lazy so that `govner prepare` and `govner ls` never pay for importing torch.
    if name == "Predictor":
        from govner.predict.predictor import Predictor

        return Predictor
    raise AttributeError(name)
