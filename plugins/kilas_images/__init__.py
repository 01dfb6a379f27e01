from .kilas_images import register

__all__ = ["register"]
