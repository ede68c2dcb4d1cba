"""Turning evidence into advice: answer schema, prompt, generators, ICD-10."""
