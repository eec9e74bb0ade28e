"""The resources that hang off a client (``client.messages``, ``client.models``...): each builds
its requests and reads its answers; the sending and decoding live below them."""
