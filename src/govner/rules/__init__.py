"""The annotation guide as code: the rule pre-labeller and baseline, and the span checks of `govner validate`."""
