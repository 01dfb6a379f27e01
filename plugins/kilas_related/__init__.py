from .kilas_related import register

__all__ = ["register"]
