from .kilas_sitemap import register

__all__ = ["register"]
