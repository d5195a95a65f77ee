"""Annotations: the Label Studio config, task format and client, and the annotation files (reader, corpus, review formats)."""
