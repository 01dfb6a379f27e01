from .kilas_timeline import register

__all__ = ["register"]
