"""Getting data out of and into the EHR's formats: FHIR R4 files (pure functions, no database, no Qt)."""
