from backend.piccolo_apps import domain_app

APP_CONFIG = domain_app("http", __file__, "backend.http.tables")
