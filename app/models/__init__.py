from .base import Base
from .org import Group, User, Membership, UserRole, PRODUCT_ROLES
from .process import ProcessVersion, ProcessInstance, WorkflowTask
from .tasks import HumanTask, OPEN_STATES
from . import task_search  # noqa: F401  (the search index, created with human_tasks)
from .audit import AuditEvent
from .timers import Timer
from .numbering import BusinessSequence
from .escalations import Escalation
from .notifications import NotificationSetting, OutboxMessage
from .audit_workspace import AuditChainHead, SavedSearch
from .delegation import Attachment, Substitution, TaskDraft
from .model_drafts import ModelDraft
from .customers import Customer, CustomerCase, CustomerContact  # noqa: F401
from .admin import AdminAuditEvent, ApiToken, PasswordReset, SignInSession
from .calendar import CalendarDay, CalendarDeadline, CalendarSettings, CalendarYear  # noqa: F401
from .integration import (InboundMessage, ServiceAccount, WebhookAttempt, WebhookDelivery,  # noqa: F401
                          WebhookSubscription)

__all__ = [
    "Base", "Group", "User", "Membership", "UserRole", "PRODUCT_ROLES", "ProcessVersion",
    "ProcessInstance", "WorkflowTask", "HumanTask", "OPEN_STATES", "AuditEvent", "Timer",
    "Escalation", "NotificationSetting", "OutboxMessage", "BusinessSequence", "AuditChainHead", "SavedSearch",
    "Attachment", "Substitution", "TaskDraft", "ModelDraft",
    "AdminAuditEvent", "ApiToken", "PasswordReset", "SignInSession",
]
