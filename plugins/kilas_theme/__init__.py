from .kilas_theme import register

__all__ = ["register"]
