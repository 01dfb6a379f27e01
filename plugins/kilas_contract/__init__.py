from .kilas_contract import register

__all__ = ["register"]
