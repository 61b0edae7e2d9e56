"""The mentorship service: Mentorship requests, mentorships, the 3-mentee cap, deadlines and responsiveness."""
