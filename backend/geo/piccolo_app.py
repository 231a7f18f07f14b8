from backend.piccolo_apps import domain_app

APP_CONFIG = domain_app("geo", __file__, "backend.geo.tables")
