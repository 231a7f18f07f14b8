"""MOOC for civil servants (plan model 20): courses, lessons, progress, quizzes, mandatory
training, certificates and completion reports."""
