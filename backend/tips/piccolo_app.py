from backend.piccolo_apps import domain_app

APP_CONFIG = domain_app("tips", __file__, "backend.tips.tables")
