import os

from django.core.wsgi import get_wsgi_application

# A deployment that forgets DJANGO_SETTINGS_MODULE gets production (DEBUG off,
# no default key), never the development settings; make and scripts/ set theirs.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bzpeer.settings.production")

application = get_wsgi_application()
