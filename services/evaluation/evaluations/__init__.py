"""R13: the evaluation schedule, the evaluation form, submissions and the mentor's feedback summary."""
