"""From an interview (a recording or text answers) to evidence-backed signals."""
