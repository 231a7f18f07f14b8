from backend.piccolo_apps import domain_app

APP_CONFIG = domain_app("welfare", __file__, "backend.welfare.tables")
