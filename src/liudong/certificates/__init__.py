"""PDF certificates with a verification code and an SM2 signature (issue 4, item 5).

``actions.do_issue_certificate`` records a certificate and enqueues its rendering (WeasyPrint,
Noto CJK fonts) as a background task; ``verification`` checks a file or a code for anyone;
``pdf.readiness`` says what this machine lacks to render, and how to install it. See
docs/workflows.md, "Certificates", and docs/security.md for the signature.
"""
