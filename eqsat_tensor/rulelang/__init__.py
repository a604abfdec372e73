"""The rule-file language: parser, checks, ``load_rules`` and ``default_rules``."""
