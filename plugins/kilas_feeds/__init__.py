from .kilas_feeds import register

__all__ = ["register"]
