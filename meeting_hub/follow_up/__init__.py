"""Follow-up of raised issues: recorded at a briefing, assigned to an agency, answered, accepted and reported back."""
