from .kilas_seo import register

__all__ = ["register"]
