from backend.piccolo_apps import domain_app

APP_CONFIG = domain_app("audit", __file__, "backend.audit.tables")
