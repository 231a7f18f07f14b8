from backend.piccolo_apps import domain_app

APP_CONFIG = domain_app("notifications", __file__, "notifications.tables")
