"""The model in the labelling loop: pre-labels, uncertainty ranking, `govner ls`, `govner select` and `govner serve-ml`."""
