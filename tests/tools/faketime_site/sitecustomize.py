# Tool-chain shim for libfaketime 0.9.10 with FAKETIME_DONT_FAKE_MONOTONIC=1:
# time.sleep (clock_nanosleep on CLOCK_MONOTONIC, absolute) fails with EINVAL there,
# while lock/event timeouts work. Sleep by waiting on an Event instead.
import os

if os.environ.get("FAKETIME_DONT_FAKE_MONOTONIC") == "1":
    import threading
    import time

    _real_sleep = time.sleep

    def _sleep(secs):
        if secs is None or secs < 0:
            return _real_sleep(secs)
        if secs == 0:
            return None
        threading.Event().wait(secs)

    time.sleep = _sleep
