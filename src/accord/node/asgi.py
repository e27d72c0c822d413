import os

from django.core.asgi import get_asgi_application

os.environ["DJANGO_SETTINGS_MODULE"] = os.environ.get(
    "ACCORD_SETTINGS_MODULE", "accord.node.settings"
)
application = get_asgi_application()
