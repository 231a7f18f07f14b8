from backend.piccolo_apps import domain_app

APP_CONFIG = domain_app("content", __file__, "content.tables")
