"""The neutral wire layer: what Bedrock's protocols are, written once for both sides.

The client (``claude_bedrock`` and its resources) and the emulator
(``claude_bedrock.emulator``) both import this package; it imports neither. So a rule or a
codec lives here once, and the emulator never borrows the client's private code: a mistake
in the client cannot hide behind the same mistake in the emulator. What belongs here:

* :mod:`.signing`: SigV4 computation and verification; :mod:`.signature_check` checks a
  signed request in AWS's order and answers a neutral ``Problem``;
* :mod:`.eventstream`: the AWS event-stream codec (``application/vnd.amazon.eventstream``);
  :mod:`.sse`: the Server-Sent Events codec of the Messages API surfaces;
* :mod:`.converse`: the Converse shapes (botocore's service model), Converse's own
  conversation rules, and the translation to and from the Messages API, on plain dicts;
* :mod:`.rules`: Bedrock's rules (model-ID syntax, documents, context, batch), each
  returning a neutral :class:`~.rules.Violation` (which rule, the limit, the value, where),
  never a message: the client turns them into errors that say what to do, the emulator into
  Bedrock's error type and wording; :mod:`.pdf` counts PDF pages for them;
* :mod:`.s3`: S3 access (botocore), with neutral errors; :mod:`.log_layout` and
  :mod:`.log_records`: where Bedrock's invocation logs live in S3 and what a record holds.

The import contract (``make lint``) checks that nothing here imports from the rest of the
package.
"""
