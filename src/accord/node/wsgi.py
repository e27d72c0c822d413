import os

from django.core.wsgi import get_wsgi_application

os.environ["DJANGO_SETTINGS_MODULE"] = os.environ.get(
    "ACCORD_SETTINGS_MODULE", "accord.node.settings"
)
application = get_wsgi_application()
