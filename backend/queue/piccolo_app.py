from backend.piccolo_apps import domain_app

APP_CONFIG = domain_app("queue", __file__, None)
