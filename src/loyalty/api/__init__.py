"""The HTTP API: the only way customer apps and support agents reach the system.

``app`` builds the FastAPI application; ``deps`` wires its dependencies;
``routes`` holds one router per area; ``schemas`` the public JSON shapes;
``errors`` the one exception handler; ``auth`` tokens and roles; ``gateway``
every Temporal call the routes make.
"""

from loyalty.api.app import create_app

__all__ = ["create_app"]
