"""Writes the 20 hostile messages scripts/bench-web adds to its archive
into the Maildir folder given: ten plain-text messages of 5 MB whose words
match the benchmark's queries, and ten HTML-only messages of 100,000
nested <div>. All have "overflow" in the subject, so `subject:overflow`
finds exactly these 20."""
import os
import sys

out = sys.argv[1]
words = b"The voicemail on our SIP trunk drops calls and the invoice for the licence is wrong. "
head = (b"From: Mallory <mallory-%s@evil.example>\r\nTo: support@casebook.example\r\n"
        b"Subject: overflow %s\r\nMessage-ID: <%s@evil.example>\r\n"
        b"Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n")
for n in range(10):
    tag = b"big-%d" % n
    body = words * (5 * 1024 * 1024 // len(words))
    with open(os.path.join(out, "hostile-big-%d:2,S" % n), "wb") as f:
        f.write(head % (tag, tag, tag) + b"\r\n" + body)
for n in range(10):
    tag = b"html-%d" % n
    html = b"<div>" * 100000 + b"voicemail overflow" + b"</div>" * 10
    with open(os.path.join(out, "hostile-html-%d:2,S" % n), "wb") as f:
        f.write(head % (tag, tag, tag) + b"Content-Type: text/html\r\n\r\n" + html)
