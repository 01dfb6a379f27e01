from .kilas_i18n import register

__all__ = ["register"]
