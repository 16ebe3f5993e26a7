"""Evidence uploads (证明材料): files attached to any record, stored encrypted.

    from liudong.evidence.actions import do_upload_evidence, read_evidence

    evidence = do_upload_evidence(
        user, object_type="settlement.application", object_id="42",
        filename=upload.name, data=upload.read(), declared_type=upload.content_type,
    )
    data = read_evidence(user, evidence)  # the bytes, checked against their SM3

The file's type comes from its first bytes (PDF, PNG, JPEG), never from the browser; the
bytes are kept SM4-GCM-encrypted in the row, bound to their SM3 digest. See
docs/workflows.md, "Evidence uploads".
"""
