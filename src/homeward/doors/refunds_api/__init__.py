"""REST door for marketplace refund files and the refunds they applied."""
