"""Medical records: entity recognition (disease, symptom, drug, test, body part) and grounded record summaries."""
