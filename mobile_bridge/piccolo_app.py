from backend.piccolo_apps import domain_app

APP_CONFIG = domain_app("mobile_bridge", __file__, "mobile_bridge.tables")
