from backend.piccolo_apps import domain_app

APP_CONFIG = domain_app("mooc", __file__, "mooc.tables")
