from .kilas_taxonomy import register

__all__ = ["register"]
