"""liudong: 流动."""

__version__ = "0.1.0"
