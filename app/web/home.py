"""The landing page after sign-in (the full inbox lives in its own blueprint)."""
from flask import Blueprint, render_template
from flask_login import current_user, login_required

from .. import get_db
from ..services import publishing, tasks

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def index():
    user = current_user.user
    with get_db().session() as session:
        my_tasks = tasks.list_tasks(session, user, limit=50)
        processes = publishing.list_processes(session)
    return render_template("home.html", tasks=my_tasks, processes=processes, user=user)
