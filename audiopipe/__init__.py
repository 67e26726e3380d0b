"""audiopipe: bilingual (English + Mandarin Chinese) podcast production pipeline."""

__version__ = "0.1.0"
