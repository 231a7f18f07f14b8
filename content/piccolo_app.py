from piccolo.conf.apps import table_finder

from backend.piccolo_apps import domain_app

APP_CONFIG = domain_app("content", __file__, "content.tables")
# Articles keep their tables in their own sub-package, migrated with the rest of content.
APP_CONFIG.table_classes.extend(
    table_finder(modules=["content.articles.tables"], exclude_imported=True)
)
