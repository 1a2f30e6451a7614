"""History compaction: keep the live task tree shallow however often an instance loops.

SpiffWorkflow keeps every finished task in the tree, and its tree walks stop at 1,000 levels: a loop
taken ~330 times hides the ready task and the instance looks complete. Compaction cuts the finished
trunk above the active part of the tree and re-roots the tree there. The cut tasks stay in storage,
marked archived (nothing is deleted); they are no longer loaded or walked.
"""
from SpiffWorkflow.util.task import TaskState

from .state import LiveWorkflow

UNFINISHED = TaskState.NOT_FINISHED_MASK
# compact when the active part lies deeper than this; keep KEEP levels of history above it
TRIGGER_DEPTH = 120
KEEP = 20


def _path_to_root(task):
    path = []
    while task is not None:
        path.append(task)
        task = task.parent
    path.reverse()
    return path


def compact(live: LiveWorkflow, trigger_depth: int = TRIGGER_DEPTH, keep: int = KEEP) -> int:
    """Re-root the top-level tree if the active tasks lie deeper than trigger_depth. Returns tasks cut."""
    wf = live.workflow
    active = [t for t in wf.tasks.values() if t._state & UNFINISHED]
    if not active:
        return 0
    chain = _path_to_root(active[0])
    if len(chain) <= trigger_depth:
        return 0
    index = {t.id: i for i, t in enumerate(chain)}
    lca = len(chain) - 1
    for task in active[1:]:
        node = task
        while node is not None and node.id not in index:
            node = node.parent
        if node is None:
            return 0
        lca = min(lca, index[node.id])
    # joins look for their split among their ancestors: never cut above such a split
    for task in active:
        split_name = getattr(task.task_spec, "split_task", None)
        if split_name:
            split = task.find_ancestor(split_name)
            if split is not None and split.id in index:
                lca = min(lca, index[split.id])
    cut = lca - keep
    # the new root must be a finished task on the trunk
    while cut > 0 and not chain[cut].has_state(TaskState.COMPLETED):
        cut -= 1
    if cut <= 0:
        return 0
    new_root = chain[cut]
    doomed = _subtree_outside(wf, chain[:cut], new_root)
    if any(wf.tasks[t]._state & UNFINISHED for t in doomed):
        return 0
    data = dict(new_root.data)
    for tid in doomed:
        del wf.tasks[tid]
    new_root._parent = None
    new_root.data = data
    new_root.last_state_change = max(new_root.last_state_change, live.saved_at)  # rewrite it with full data
    wf.task_tree = new_root
    live.pending_archive.extend(str(t) for t in doomed)
    return len(doomed)


def _subtree_outside(wf, trunk, new_root) -> list:
    """Every task under the trunk's top except the new root's own subtree."""
    doomed, stack = [], [trunk[0]]
    while stack:
        task = stack.pop()
        if task.id == new_root.id:
            continue
        doomed.append(task.id)
        stack.extend(task.children)
    return doomed
