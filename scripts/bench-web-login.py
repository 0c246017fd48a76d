"""The login figures of scripts/bench-web.

  bench-web-login.py flood WRK_OUT STATUSES PROC_STATUS
      prints "p50_ms p99_ms passwords_checked refused peak_rss_mb": GET
      /login latency from wrk's --latency output, how the flood's POSTs
      were answered (401: a password was checked; 429: refused by the
      throttle), and the server's peak resident memory.
  bench-web-login.py timing URL
      prints "unknown_ms known_ms": the median time of a wrong password
      for names with no user and for real users (timing1 … timing41), 41
      of each, in the order unknown, known, known, unknown, …, each name once and from an address of its own
      (through the trusted proxy header), so the throttle stays out of it.
"""
import re
import statistics
import sys
import time
import urllib.error
import urllib.parse
import urllib.request


def wrk_ms(text, percent):
    m = re.search(r"^\s*" + percent + r"%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    value, unit = float(m.group(1)), m.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def flood(wrk_out, statuses_file, proc_status):
    text = open(wrk_out).read()
    statuses = {}
    for line in open(statuses_file):
        if line.strip():
            status, count = line.split()
            statuses[int(status)] = int(count)
    if statuses.get(0):
        sys.exit(f"error: the flood got {statuses[0]} answers other than 401 and 429")
    hwm = int(re.search(r"VmHWM:\s+(\d+)", open(proc_status).read()).group(1)) // 1024
    print(f"{wrk_ms(text, '50'):.1f} {wrk_ms(text, '99'):.1f} "
          f"{statuses.get(401, 0)} {statuses.get(429, 0)} {hwm}")


def timing(url):
    form = urllib.request.urlopen(url + "/login")
    cookie = form.headers["Set-Cookie"].split(";")[0]
    token = re.search(r'name="token" value="([0-9a-f]+)"', form.read().decode()).group(1)
    times = {"unknown": [], "known": []}
    for n in range(82):
        # Unknown, known, known, unknown, …: each kind follows each kind
        # and lands on each of the server's password-check threads (which
        # take requests in turn) as often as the other, so neither the
        # order nor a difference between the threads reads as a
        # difference between names.
        kind = "known" if n % 4 in (1, 2) else "unknown"
        name = f"timing{n // 2 + 1}" if kind == "known" else f"nosuchuser{n}"
        body = urllib.parse.urlencode({"name": name, "password": f"wrong-{n}", "token": token})
        request = urllib.request.Request(url + "/login", data=body.encode(), headers={
            "Cookie": cookie, "X-Forwarded-For": f"172.16.{n // 256}.{n % 256}"})
        start = time.perf_counter()
        try:
            urllib.request.urlopen(request)
            sys.exit(f"error: a wrong password for {name} was accepted")
        except urllib.error.HTTPError as e:
            if e.code != 401:
                sys.exit(f"error: a wrong password for {name} got {e.code}, not 401")
        times[kind].append((time.perf_counter() - start) * 1000)
    print(f"{statistics.median(times['unknown']):.1f} {statistics.median(times['known']):.1f}")


if __name__ == "__main__":
    if sys.argv[1] == "flood":
        flood(*sys.argv[2:5])
    else:
        timing(sys.argv[2])
