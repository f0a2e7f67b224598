"""Real-world shapes of mail that a naive body lookup misses (bounce reports, odd multiparts)."""

from __future__ import annotations

POSTFIX_BOUNCE = b"""\
Return-Path: <>
From: MAILER-DAEMON@mx.example.net (Mail Delivery System)
To: alice@example.org
Subject: Undelivered Mail Returned to Sender
Date: Mon, 2 Nov 2026 10:00:00 +0000 (UTC)
Message-Id: <20261102100000.4F2C1E0123@mx.example.net>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="4F2C1E0123.1604311200/mx.example.net"

This is a MIME-encapsulated message.

--4F2C1E0123.1604311200/mx.example.net
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.example.net.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<nobody@example.net>: host mx.example.net said: 550 5.1.1 User unknown

--4F2C1E0123.1604311200/mx.example.net
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net
Arrival-Date: Mon,  2 Nov 2026 10:00:00 +0000 (UTC)

Final-Recipient: rfc822; nobody@example.net
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 User unknown

--4F2C1E0123.1604311200/mx.example.net
Content-Description: Undelivered Message
Content-Type: message/rfc822

From: alice@example.org
To: nobody@example.net
Subject: hello
Message-ID: <orig-1@example.org>
Content-Type: multipart/mixed; boundary="inner"

--inner
Content-Type: text/plain

Original text.
--inner
Content-Type: application/pdf
Content-Disposition: attachment; filename="plan.pdf"

%PDF-1.4
--inner--

--4F2C1E0123.1604311200/mx.example.net--
"""

# Old MTAs (and broken relays) announce a report but lose the boundary: the text is all there is.
BOUNCE_WITHOUT_BOUNDARY = b"""\
From: Mail Delivery Subsystem <postmaster@old.example.com>
To: alice@example.org
Subject: Returned mail: see transcript for details
Date: Tue, 3 Nov 2026 08:00:00 +0100
Message-ID: <bounce-2@old.example.com>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status

The original message was received at Tue, 3 Nov 2026 08:00:00 +0100

   ----- The following addresses had permanent fatal errors -----
<gone@old.example.com>
    (reason: 550 Host unknown)
"""

# An Exchange-style report whose human-readable part is marked as an attachment.
REPORT_TEXT_AS_ATTACHMENT = b"""\
From: postmaster@corp.example.com
To: alice@example.org
Subject: Undeliverable: hello
Date: Wed, 4 Nov 2026 09:00:00 +0000
Message-ID: <bounce-3@corp.example.com>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="R3"

--R3
Content-Type: multipart/alternative; boundary="A3"
Content-Disposition: attachment

--A3
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: base64

RGVsaXZlcnkgaGFzIGZhaWxlZCB0byB0aGVzZSByZWNpcGllbnRzIG9yIGdyb3Vwcy4=

--A3
Content-Type: text/html; charset="utf-8"

<html><body><p>Delivery has failed to these recipients or groups.</p></body></html>
--A3--

--R3
Content-Type: message/delivery-status

Reporting-MTA: dns;corp.example.com

Final-Recipient: rfc822;bob@corp.example.com
Action: failed
Status: 5.4.1

--R3--
"""

# A generator that puts the inline image before the HTML of a multipart/related, with no start.
RELATED_IMAGE_FIRST = b"""\
From: News <news@shop.example>
To: alice@example.org
Subject: This week's offers
Date: Thu, 5 Nov 2026 07:00:00 +0000
Message-ID: <news-4@shop.example>
MIME-Version: 1.0
Content-Type: multipart/related; boundary="REL"

--REL
Content-Type: image/png
Content-ID: <logo@shop.example>
Content-Transfer-Encoding: base64

iVBORw0KGgo=
--REL
Content-Type: text/html; charset=utf-8

<html><body><img src="cid:logo@shop.example"><p>Offers of the week.</p></body></html>
--REL--
"""

# multipart/related inside multipart/alternative, the plain version also related.
RELATED_INSIDE_ALTERNATIVE = b"""\
From: bob@example.net
To: alice@example.org
Subject: Photos
Date: Fri, 6 Nov 2026 12:00:00 +0000
Message-ID: <photos-5@example.net>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="ALT"

--ALT
Content-Type: text/plain; charset=utf-8

Here are the photos.
--ALT
Content-Type: multipart/related; boundary="REL"

--REL
Content-Type: text/html; charset=utf-8

<p>Here are the <b>photos</b>.<img src="cid:p1@example.net"></p>
--REL
Content-Type: image/jpeg
Content-ID: <p1@example.net>

JPEG
--REL--
--ALT--
"""

# A scanner's report: its only text is a part marked as an attachment, without a file name.
TEXT_ONLY_IN_ATTACHMENT = b"""\
From: scanner@office.example
To: alice@example.org
Subject: Scan report
Date: Sat, 7 Nov 2026 12:00:00 +0000
Message-ID: <scan-6@office.example>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="MIX"

--MIX
Content-Type: text/plain; charset=utf-8
Content-Disposition: attachment

3 pages scanned, sent to alice@example.org.
--MIX--
"""

# A single-part message marked as an attachment as a whole.
SINGLE_PART_ATTACHMENT = b"""\
From: monitor@ops.example
To: alice@example.org
Subject: Disk report
Date: Sun, 8 Nov 2026 12:00:00 +0000
Message-ID: <disk-7@ops.example>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Disposition: attachment; filename="report.txt"

/dev/sda1 is 91% full.
"""

# Each sample and a phrase of the text the reading pane must show for it.
SAMPLES: dict[str, tuple[bytes, str]] = {
    "postfix_bounce": (POSTFIX_BOUNCE, "could not\nbe delivered"),
    "bounce_without_boundary": (BOUNCE_WITHOUT_BOUNDARY, "permanent fatal errors"),
    "report_text_as_attachment": (REPORT_TEXT_AS_ATTACHMENT, "Delivery has failed"),
    "related_image_first": (RELATED_IMAGE_FIRST, "Offers of the week."),
    "related_inside_alternative": (RELATED_INSIDE_ALTERNATIVE, "Here are the"),
    "text_only_in_attachment": (TEXT_ONLY_IN_ATTACHMENT, "3 pages scanned"),
    "single_part_attachment": (SINGLE_PART_ATTACHMENT, "91% full"),
}
