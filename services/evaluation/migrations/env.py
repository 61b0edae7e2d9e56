# The app module imports every domain package, so that all their tables are on the metadata.
from services.evaluation.app import service
from shared.migrations import run_env

run_env(service.metadata)
