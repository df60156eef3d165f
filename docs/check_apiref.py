#!/usr/bin/env python3
"""The API reference check (meson test `apiref`, suite docs).

    check_apiref.py DOXYGEN DOXYFILE

Runs doxygen with the project's Doxyfile into a temporary folder, with warnings as errors
(WARN_AS_ERROR = FAIL_ON_WARNINGS: every warning is printed, then the run fails) and XML output,
so that an undocumented public function, type, macro or parameter (WARN_IF_UNDOCUMENTED,
WARN_NO_PARAMDOC) fails. Doxygen does not warn about an undocumented enum value, so the XML is
read for those: every value of every public enum must have a description too.
"""
import glob
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET


def main():
    doxygen, doxyfile = sys.argv[1], sys.argv[2]
    with open(doxyfile) as f:
        config = f.read()
    with tempfile.TemporaryDirectory() as tmp:
        config += "\n".join([
            "", f"OUTPUT_DIRECTORY = {tmp}", "GENERATE_HTML = YES", "GENERATE_XML = YES",
            "XML_PROGRAMLISTING = NO", "WARN_AS_ERROR = FAIL_ON_WARNINGS", "QUIET = YES",
            "WARN_LOGFILE =", ""])
        run = subprocess.run([doxygen, "-"], input=config, text=True, capture_output=True)
        sys.stdout.write(run.stdout)
        sys.stderr.write(run.stderr)
        if run.returncode != 0:
            print(f"doxygen failed (exit {run.returncode}): document every public declaration "
                  "with @brief or a first sentence, @param for every parameter and @return",
                  file=sys.stderr)
            return 1
        bad = []
        n_values = 0
        for path in glob.glob(os.path.join(tmp, "xml", "*.xml")):
            for value in ET.parse(path).iter("enumvalue"):
                n_values += 1
                text = "".join(value.find("briefdescription").itertext()).strip()
                text += "".join(value.find("detaileddescription").itertext()).strip()
                if not text:
                    bad.append(value.findtext("name"))
        for name in sorted(set(bad)):
            print(f"undocumented enum value: {name}", file=sys.stderr)
        if n_values == 0:
            print("no enum value found in doxygen's XML: the check is broken", file=sys.stderr)
            return 1
        print(f"doxygen: no warning; {n_values} enum values, {len(set(bad))} undocumented")
        return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
