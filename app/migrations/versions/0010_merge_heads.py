"""merge the feature branches of the schema into one head

Revision ID: 0010_merge_heads
Revises: 0002_numbering, 0003_escalations, 0004_delegation, 0005_audit_chain, 0006_inbox_indexes, 0007_model_drafts
Create Date: 2026-11-23
"""

revision = "0010_merge_heads"
down_revision = ("0002_numbering", "0003_escalations", "0004_delegation", "0005_audit_chain",
                 "0006_inbox_indexes", "0007_model_drafts")
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
