"""Basic pension insurance (Opinions §(5)): retirement age, contributions, transfers."""
