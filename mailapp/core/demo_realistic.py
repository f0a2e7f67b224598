"""What `generate_demo(realistic=True)` adds to the same messages: longer text, more HTML, trace
headers and now and then a large attachment, drawn from a random generator of its own so the
small messages stay as they were (mailapp.core.demo)."""

from __future__ import annotations

import base64
import random
from datetime import datetime

from mailapp.core.addresses import Address
from mailapp.core.demo_words import sentences
from mailapp.mime.parse import Attachment


def grow(extra: random.Random, index: int, sender: Address, text: str, html: str | None,
         attachments: list[Attachment]) -> tuple[str, str | None, list[Attachment]]:
    """Longer text, more HTML (newsletters as mailing tools write them) and now and then a
    large attachment: about 3.6 KB a message on average, as in the issue's 358 MB corpus."""
    lines = text.split("\n\n")
    more = [" ".join(sentences(extra, 2 + int(extra.random() * 4)))
            for _ in range(int(extra.random() * 4))]
    # After the greeting and the first paragraph, before the signature and any quote.
    signature_at = next(n for n, line in enumerate(lines) if line.startswith("— "))
    lines[signature_at:signature_at] = more
    text = "\n\n".join(lines)
    if html is None and extra.random() < 0.3:
        html = "<html><body>" + "".join(f"<p>{p}</p>" for p in lines) + "</body></html>"
    if html is not None:
        style = 'style="font-family:Arial,Helvetica,sans-serif;font-size:14px;color:#222222"'
        html = html.replace("<p>", f"<div dir=\"ltr\" {style}>").replace("</p>", "</div>")
        if sender.email.startswith("news@"):
            cell = ('<tr><td style="padding:12px 24px;font-family:Georgia,serif;font-size:16px;'
                    'line-height:24px;color:#333333">{}</td></tr>')
            rows = "".join(cell.format(" ".join(sentences(extra, 3 + int(extra.random() * 4))))
                           for _ in range(6 + int(extra.random() * 10)))
            html = html.replace("<body>", '<body><table role="presentation" width="100%" '
                                'cellpadding="0" cellspacing="0" border="0">' + rows
                                + "</table>")
    if not attachments and extra.random() < 0.02:
        # Compressed content (a scan, a photo): what makes mail large, and what no
        # compression of the store can shrink.
        size = int(min(400_000, 6_000 * extra.lognormvariate(1.1, 0.9)))
        data = b"%PDF-1.4\n" + extra.randbytes(size)
        attachments = [Attachment(f"scan-{index}.pdf", "application/pdf", len(data), None,
                                  False, data)]
    return text, html, attachments

def trace_headers(extra: random.Random, me: Address, sender: Address, date: datetime) -> bytes:
    """What servers on the way add above a message: Received lines, a DKIM signature and
    authentication results (about 1.2 KB in real mail)."""
    domain = sender.email.rpartition("@")[2]
    stamp = date.strftime("%a, %d %b %Y %H:%M:%S +0000")
    hops = [f"Received: from mx{n}.{domain} (mx{n}.{domain} [192.0.2.{extra.randrange(254)}])"
            f"\r\n\tby mail.example.org with ESMTPS id {extra.getrandbits(48):012x}"
            f"\r\n\tfor <{me.email}>; {stamp}\r\n" for n in range(1 + extra.randrange(2))]
    signature = base64.b64encode(extra.randbytes(128)).decode()
    body_hash = base64.b64encode(extra.randbytes(32)).decode()
    dkim = (f"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d={domain}; s=mail;\r\n"
            f"\th=from:to:subject:date:message-id:mime-version:content-type;\r\n"
            f"\tbh={body_hash};\r\n\tb={signature[:64]}\r\n\t {signature[64:]}\r\n")
    results = (f"Authentication-Results: mail.example.org;\r\n\tdkim=pass header.d={domain};"
               f"\r\n\tspf=pass smtp.mailfrom={domain}; dmarc=pass header.from={domain}\r\n")
    return ("".join(hops) + dkim + results).encode()
