"""The NinjaAPI instance; routers of each app are added here."""

from ninja import NinjaAPI

api = NinjaAPI(title="Accord node API", version="1", openapi_url="/openapi.json", docs_url=None)
