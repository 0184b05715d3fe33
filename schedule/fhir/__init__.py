"""FHIR R4: a patient's treatment plan and given doses as FHIR resources (`bundle.py`: the
export), and MedicationAdministration resources read back as records (`reading.py`)."""
