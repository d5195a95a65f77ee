"""Inference: the Predictor (any length, exact offsets, CPU or GPU, reduced precision) and `govner predict`."""
