"""Customer care: customer files and the key-customer tier, the cases and contacts of each customer, and the
monthly after-sales report (seed 000 sections 8 and 9; PROCESSES.md section 6)."""
