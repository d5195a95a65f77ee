"""Pretraining the base encoder (masked LM, replaced-token detection, word2vec init) and its model card: `govner pretrain`."""
