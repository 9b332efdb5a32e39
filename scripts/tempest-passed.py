#!/usr/bin/python3
"""Reads a tempest subunit stream on stdin; prints the ids (without [attributes]) of tests that passed."""
import sys
from subunit import ByteStreamToStreamResult
from testtools import StreamToDict

passed = set()
def on_test(t):
    if t["status"] == "success" and t["id"].startswith("tempest."):
        passed.add(t["id"].split("[")[0])
stream = ByteStreamToStreamResult(sys.stdin.buffer, non_subunit_name="stdout")
d = StreamToDict(on_test); d.startTestRun(); stream.run(d); d.stopTestRun()
for tid in sorted(passed):
    print(tid)
