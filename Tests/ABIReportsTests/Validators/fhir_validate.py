"""Validates FHIR R4 bundles with the PyPI package fhir.resources (6.4.0, FHIR 4.0.1),
independently of abi, and checks what the report promises beyond the base specification.

Usage: python3 fhir_validate.py FILE... ; prints one line per file, exits 1 if any is invalid.
For each valid bundle it prints each leg's ABI as the library read it, so the caller can
compare with the calculation.
"""
import json
import sys

from fhir.resources import __fhir_version__
from fhir.resources.bundle import Bundle

assert __fhir_version__ == "4.0.1", __fhir_version__

SNOMED = "http://snomed.info/sct"
# fhir.resources checks structure and types but not code values; the required bindings of the
# elements the report uses are checked here (FHIR R4 value sets).
REQUIRED = {
    ("Observation", "status"): {"registered", "preliminary", "final", "amended", "corrected", "cancelled", "entered-in-error", "unknown"},
    ("DiagnosticReport", "status"): {"registered", "partial", "preliminary", "final", "amended", "corrected", "appended", "cancelled",
                                     "entered-in-error", "unknown"},
    ("Patient", "gender"): {"male", "female", "other", "unknown"},
}
ABSENT = {"unknown", "asked-unknown", "temp-unknown", "not-asked", "asked-declined", "masked", "not-applicable", "unsupported",
          "as-text", "error", "not-a-number", "negative-infinity", "positive-infinity", "not-performed", "not-permitted"}
INTERPRETATION = {"N", "L", "H", "A", "LL", "HH", "AA"}
LOINC = "http://loinc.org"


def codes(concept, system):
    return [c.code for c in (concept.coding or []) if c.system == system] if concept else []


def check(bundle, raw):
    problems = []
    if bundle.type not in ("collection", "transaction"):
        problems.append("the bundle is neither a collection nor a transaction")
    if bundle.type == "transaction":
        for entry in bundle.entry:
            request = entry.request
            if request is None or request.method != "PUT" or not request.url.startswith(entry.resource.resource_type + "?identifier="):
                problems.append(f"{entry.fullUrl}: a transaction entry needs a conditional PUT on its identifier")
    elif any(e.request is not None for e in bundle.entry):
        problems.append("a collection carries no requests")
    urls = {e.fullUrl for e in bundle.entry}
    if len(urls) != len(bundle.entry):
        problems.append("fullUrls are not unique")
    # Every reference points into the bundle.
    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "reference" and value not in urls:
                    problems.append(f"unresolved reference {value}")
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    walk(raw)
    if "41979-6" in json.dumps(raw):
        problems.append("LOINC 41979-6 is not an ABI code")
    kinds = [e.resource.resource_type for e in bundle.entry]
    if kinds.count("Patient") != 1 or kinds.count("DiagnosticReport") != 1:
        problems.append(f"expected one Patient and one DiagnosticReport, got {kinds}")
    abi = {}
    for entry in bundle.entry:
        r = entry.resource
        for (kind, field), allowed in REQUIRED.items():
            value = getattr(r, field, None) if r.resource_type == kind else None
            if value is not None and value not in allowed:
                problems.append(f"{entry.fullUrl}: {kind}.{field} {value!r} is not in its required value set")
        if r.resource_type != "Observation":
            continue
        has_value = any(getattr(r, name, None) is not None for name in
                        ("valueQuantity", "valueInteger", "valueString", "valueCodeableConcept"))
        if has_value and r.dataAbsentReason is not None:  # obs-6
            problems.append(f"{entry.fullUrl}: a value and a dataAbsentReason")
        if not r.component and not has_value and r.dataAbsentReason is None:  # vs-2
            problems.append(f"{entry.fullUrl}: needs exactly one of a value and dataAbsentReason")
        reasons = [r.dataAbsentReason] + [c.dataAbsentReason for c in r.component or []]
        for reason in reasons:
            for code in codes(reason, "http://terminology.hl7.org/CodeSystem/data-absent-reason"):
                if code not in ABSENT:
                    problems.append(f"{entry.fullUrl}: data-absent-reason {code!r} does not exist")
        for concept in r.interpretation or []:
            for code in codes(concept, "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"):
                if code not in INTERPRETATION:
                    problems.append(f"{entry.fullUrl}: interpretation {code!r} is not one the report uses")
        for component in r.component or []:
            if (component.valueQuantity is not None) == (component.dataAbsentReason is not None):
                problems.append(f"{entry.fullUrl}: a component needs exactly one of a value and dataAbsentReason")
            if component.valueQuantity is not None and component.valueQuantity.code != "mm[Hg]":
                problems.append(f"{entry.fullUrl}: a blood pressure component is not in mm[Hg]")
        if "85354-9" in codes(r.code, LOINC):
            present = [c for comp in r.component or [] for c in codes(comp.code, LOINC)]
            if "8480-6" not in present or "8462-4" not in present:
                problems.append(f"{entry.fullUrl}: the BP profile needs systolic and diastolic components")
            if "vital-signs" not in [c.code for cat in r.category for c in cat.coding]:
                problems.append(f"{entry.fullUrl}: a BP observation is in the vital-signs category")
        if "271649006" in codes(r.code, SNOMED):
            if r.valueQuantity is not None and r.valueQuantity.code != "mm[Hg]":
                problems.append(f"{entry.fullUrl}: a pressure is not in mm[Hg]")
            if not codes(r.bodySite, SNOMED):
                problems.append(f"{entry.fullUrl}: a pressure has no SNOMED body site")
        if "446841001" in codes(r.code, SNOMED) and "after exercise" not in r.code.text:
            site = codes(r.bodySite, SNOMED)
            side = {"62175007": "right", "32153003": "left"}.get(site[0] if site else None)
            if side is None:
                problems.append(f"{entry.fullUrl}: the ABI's bodySite has no laterality")
            elif r.valueQuantity is not None:
                if r.valueQuantity.code != "{ratio}" or r.valueQuantity.system != "http://unitsofmeasure.org":
                    problems.append(f"{entry.fullUrl}: the ABI is not in UCUM {{ratio}}")
                abi[side] = str(raw_value(raw, entry.fullUrl))
            else:
                abi[side] = "-"
    if set(abi) != {"right", "left"}:
        problems.append(f"expected an ABI observation per leg, got {sorted(abi)}")
    return problems, abi


def raw_value(raw, url):
    """The ABI exactly as written in the file (0.90 stays 0.90)."""
    for entry in raw["entry"]:
        if entry["fullUrl"] == url:
            return entry["resource"]["valueQuantity"]["value"]


failed = False
for path in sys.argv[1:]:
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        raw = json.loads(text, parse_float=str)
        bundle = Bundle.parse_raw(text)
        problems, abi = check(bundle, raw)
        if problems:
            failed = True
            print(f"INVALID {path}: " + "; ".join(problems))
        else:
            print(f"OK {path} entries={len(bundle.entry)} right={abi['right']} left={abi['left']}")
    except Exception as error:  # noqa: BLE001 - report every kind of failure with the file
        failed = True
        print(f"INVALID {path}: {type(error).__name__}: " + " | ".join(str(error).splitlines()))
sys.exit(1 if failed else 0)
