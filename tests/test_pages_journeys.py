"""The four journeys (tests/page_journeys.py) in Chinese, at 390×844 and at 1366×900."""
from tests.page_journeys import *  # noqa: F401,F403  (the journeys and their fixtures)
from tests.page_journeys import combo_params

pytestmark = combo_params("zh")
