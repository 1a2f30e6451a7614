"""customer files, customer-case links and the contact register

Revision ID: care_0001_customers
Revises: admin_0001_administration
"""
from alembic import op
import sqlalchemy as sa

revision = "care_0001_customers"
down_revision = "admin_0001_administration"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "customers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_key", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=True),
        sa.Column("phone", sa.String(length=80), nullable=True),
        sa.Column("contact_person", sa.String(length=120), nullable=True),
        sa.Column("main_products", sa.Text(), nullable=True),
        sa.Column("country", sa.String(length=80), nullable=True),
        sa.Column("prior_year_sales", sa.Numeric(16, 2), nullable=True),
        sa.Column("key_customer", sa.Boolean(), nullable=False),
        sa.Column("key_customer_year", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=80), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
        sa.UniqueConstraint("name_key", name=op.f("uq_customers_name_key")),
    )
    op.create_index(op.f("ix_customers_key_customer"), "customers", ["key_customer"])
    op.create_table(
        "customer_cases",
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("process_id", sa.String(length=120), nullable=False),
        sa.Column("linked_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["instance_id"], ["process_instances.id"], ondelete="CASCADE",
                                name=op.f("fk_customer_cases_instance_id_process_instances")),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"],
                                name=op.f("fk_customer_cases_customer_id_customers")),
        sa.PrimaryKeyConstraint("instance_id", name=op.f("pk_customer_cases")),
    )
    op.create_index(op.f("ix_customer_cases_customer_id"), "customer_cases", ["customer_id"])
    op.create_table(
        "customer_contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(length=80), nullable=True),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"],
                                name=op.f("fk_customer_contacts_customer_id_customers")),
        sa.ForeignKeyConstraint(["instance_id"], ["process_instances.id"],
                                name=op.f("fk_customer_contacts_instance_id_process_instances")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_contacts")),
    )
    op.create_index(op.f("ix_customer_contacts_customer_id"), "customer_contacts", ["customer_id"])
    op.create_index(op.f("ix_customer_contacts_instance_id"), "customer_contacts", ["instance_id"])


def downgrade():
    op.drop_table("customer_contacts")
    op.drop_table("customer_cases")
    op.drop_table("customers")
