"""SQS: ``DeleteMessage`` looks for its receipt handle in every message of the queue in moto 5.2.5.

``Queue.delete_message`` asks each queued message whether it ever had the handle (building a list of its
handles each time), twice, so deleting a batch of 100 from a queue with thousands of readings waiting
cost seconds, and the more a slow consumer fell behind the slower it deleted. Here each handle a receive
hands out is indexed to its message, and a delete removes that message directly; a handle the index
does not know (an old or unknown one) takes moto's own path, with its errors.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

from moto.sqs.models import Message, Queue, SQSBackend

_receiving = threading.local()
_handles: weakref.WeakKeyDictionary[Queue, dict[str, Message]] = weakref.WeakKeyDictionary()


def _index(queue: Queue) -> dict[str, Message]:
    return _handles.setdefault(queue, {})


def apply() -> None:
    original_receive = SQSBackend.receive_message
    original_mark = Message.mark_received
    original_delete = Queue.delete_message

    def receive_message(self: SQSBackend, queue_name: str, *args: Any, **kwargs: Any) -> Any:
        _receiving.queue = self.get_queue(queue_name)
        try:
            return original_receive(self, queue_name, *args, **kwargs)
        finally:
            _receiving.queue = None

    def mark_received(self: Message, visibility_timeout: int | None = None) -> None:
        original_mark(self, visibility_timeout=visibility_timeout)
        queue = getattr(_receiving, "queue", None)
        if queue is not None and self.receipt_handle is not None:
            _index(queue)[self.receipt_handle] = self

    def delete_message(self: Queue, receipt_handle: str) -> None:
        message = _index(self).get(receipt_handle)
        if receipt_handle in self.deleted_messages or message is None:
            original_delete(self, receipt_handle)
            return
        try:
            self._messages.remove(message)  # Message has no __eq__: found by identity
        except ValueError:  # already gone (moved to the dead-letter queue, purged)
            original_delete(self, receipt_handle)
            return
        self.pending_messages.discard(message)
        self.deleted_messages.update(message.all_receipt_handles)  # type: ignore[arg-type]
        for handle in message.all_receipt_handles:
            _index(self).pop(str(handle), None)

    SQSBackend.receive_message = receive_message  # type: ignore[method-assign]
    Message.mark_received = mark_received  # type: ignore[method-assign]
    Queue.delete_message = delete_message  # type: ignore[method-assign]
