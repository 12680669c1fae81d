"""matplotlib Figure builders for charts (DESIGN.md section 2): no pyplot, no Qt, no database."""
