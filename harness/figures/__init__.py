"""Figures from run records and claims (matplotlib, Agg): the same drawing for the results site (inline SVG) and
for papers (PDF, PNG). matplotlib is imported inside the functions that draw, never when the CLI starts."""
