from django.apps import AppConfig


class GraphConfig(AppConfig):
    name = "graph"
    verbose_name = "Research graph"

    def ready(self):
        # The graph is built on the catalog: a merge of two researchers
        # retires every slice that showed either of them.
        from works.hooks import researcher_merge_handler_register

        from .cache import researcher_merge_slices_retire

        researcher_merge_handler_register(researcher_merge_slices_retire)
