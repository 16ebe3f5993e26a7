"""The registry: persons, households, hukou, residence permits, employers, employment,
social-insurance participation, regions and agencies."""
