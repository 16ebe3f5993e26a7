"""Household registration settlement (Opinions §(4)): city classes, points schemes, rounds."""
