"""Numerical stability: functions that stay accurate, and rewrites into them.

``functions`` holds the stable functions as sympy classes; ``rules`` the
rewrites (pattern, replacement, name, why) as data; ``rewrite.stabilize``
applies them to a formula's expressions after simplification and after
every differentiation (``Formula`` calls it when ``stable=True``, the
default) and reports each one that fired.
"""
