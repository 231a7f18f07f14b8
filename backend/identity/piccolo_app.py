from backend.piccolo_apps import domain_app

APP_CONFIG = domain_app("identity", __file__, "backend.identity.tables")
