"""R14: surveys — career updates for mentees and alumni, program feedback for a chosen audience."""
