"""The token classifier: tokenizer, per-token rule and word features, windows, Viterbi decoding, model directories."""
