"""moto_server with SQS FIFO message groups delivered in order.

goalrelay's tests start moto_server through this file (awstest.StartMoto):
it mends one behaviour of moto's SQS in which moto differs from SQS, then
runs moto_server's own main with the arguments it was given.

The behaviour: when several received, undeleted messages of one FIFO
message group become visible again (their visibility time-out ran out),
moto 5.2.1 freed the group one message at a time while it scanned the
queue, and delivered the first message it met with no other message of
its group still marked in flight: the group's last one. SQS delivers the
group from its first message, in order. Here a message whose visibility
ran out is no longer in flight before the scan starts, and a group counts
as in flight only while one of its messages is invisible.
"""

import sys

from moto.sqs import models

Queue = models.Queue
for name in ("messages", "pending_message_groups"):
    if not isinstance(getattr(Queue, name, None), property):
        sys.exit(
            "goalrelay motofifo: moto.sqs.models.Queue.%s is not a property in this moto version; "
            "the FIFO order fix cannot be applied (goalrelay is tested with moto 5.2.1)" % name
        )
if not hasattr(Queue("probe", "us-east-1", "123456789012"), "_pending_messages"):
    sys.exit("goalrelay motofifo: moto.sqs.models.Queue has no _pending_messages; the FIFO order fix cannot be applied")

_visible_messages = Queue.messages.fget


def _messages(self):
    if self.fifo_queue:
        for message in [m for m in self._pending_messages if m.visible]:
            self._pending_messages.discard(message)
    return _visible_messages(self)


def _pending_message_groups(self):
    return {
        m.group_id
        for m in self._pending_messages
        if m.group_id is not None and not m.visible
    }


Queue.messages = property(_messages)
Queue.pending_message_groups = property(_pending_message_groups)

if __name__ == "__main__":
    from moto.server import main

    main(sys.argv[1:])
