"""What protects the patient whatever the generator says: triage, de-identification, verification."""
