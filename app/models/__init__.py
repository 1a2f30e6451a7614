from .base import Base
from .org import Group, User, Membership, UserRole, PRODUCT_ROLES
from .process import ProcessVersion, ProcessInstance, WorkflowTask
from .tasks import HumanTask, OPEN_STATES
from .audit import AuditEvent
from .timers import Timer

__all__ = [
    "Base", "Group", "User", "Membership", "UserRole", "PRODUCT_ROLES", "ProcessVersion",
    "ProcessInstance", "WorkflowTask", "HumanTask", "OPEN_STATES", "AuditEvent", "Timer",
]
