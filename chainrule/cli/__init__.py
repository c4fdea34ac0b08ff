"""The chainrule command line (train, eval)."""
