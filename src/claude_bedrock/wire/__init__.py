"""The neutral wire layer: what Bedrock's protocols are, written once for both sides.

The client (``claude_bedrock`` and its resources) and the emulator
(``claude_bedrock.emulator``) both import this package; it imports neither. So a rule or a
codec lives here once, and the emulator never borrows the client's private code: a mistake
in the client cannot hide behind the same mistake in the emulator. What belongs here:

* :mod:`.signing`: SigV4 computation and verification;
* :mod:`.eventstream`: the AWS event-stream codec (``application/vnd.amazon.eventstream``);
* codecs, shapes and Bedrock's rules as data, each answering with neutral values
  (a rule returns a violation, never a message): the client turns them into errors that
  say what to do, the emulator into Bedrock's error type and wording.

The import contract (``make lint``) checks that nothing here imports from the rest of the
package.
"""
