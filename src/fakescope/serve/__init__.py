"""The HTTP service and the web page (FastAPI), a thin edge over `fakescope.Detector`."""

from .app import ServiceLimits, create_app

__all__ = ["ServiceLimits", "create_app"]
