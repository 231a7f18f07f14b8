from backend.piccolo_apps import domain_app

APP_CONFIG = domain_app("system", __file__, "backend.system.tables")
