"""Fine-tuning: config, annotations to examples, splits, `govner train`, metrics and `govner evaluate`."""
