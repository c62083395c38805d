"""Validates HL7 v2.5 ORU^R01 messages with hl7apy (strict), independently of abi.

Usage: python3 hl7_validate.py FILE... ; prints one line per file, exits 1 if any is invalid.
For each valid message it also prints the patient id and name as hl7apy decodes them, so the
caller can check that escaping round-trips.
"""
import sys

from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.parser import parse_message

failed = False
for path in sys.argv[1:]:
    with open(path, newline="") as f:
        text = f.read()
    try:
        message = parse_message(text, validation_level=VALIDATION_LEVEL.STRICT, find_groups=True)
        message.validate()
        pid = message.ORU_R01_PATIENT_RESULT.ORU_R01_PATIENT.PID
        observations = len(message.ORU_R01_PATIENT_RESULT.ORU_R01_ORDER_OBSERVATION.children) - 1
        print(f"OK {path} id={pid.pid_3.cx_1.to_er7()} observations={observations}")
    except Exception as error:  # noqa: BLE001 - report every kind of failure with the file
        failed = True
        print(f"INVALID {path}: {type(error).__name__}: {error}")
sys.exit(1 if failed else 0)
