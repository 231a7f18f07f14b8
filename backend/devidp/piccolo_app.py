from backend.piccolo_apps import domain_app

APP_CONFIG = domain_app("devidp", __file__, "backend.devidp.tables")
