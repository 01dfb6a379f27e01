from .kilas_search import register

__all__ = ["register"]
