"""Device messenger on IoT Core's data plane (``iot-data`` Publish, QoS 1): advice and configuration
back to the devices over the connection they already hold. The endpoint is the account's data endpoint
(``DHO_IOT_DATA_ENDPOINT``, set by the CDK app), or boto3's default resolution when it is not set."""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from dho.adapters.dynamodb_codec import raise_if_transient

if TYPE_CHECKING:
    from mypy_boto3_iot_data import IoTDataPlaneClient

# iot-data error codes after which the same publish can succeed later (botocore already retried).
IOT_TRANSIENT_ERROR_CODES = frozenset({
    "ThrottlingException", "ServiceUnavailableException", "InternalFailureException",
})


class IotDataMessenger:
    def __init__(self, client: IoTDataPlaneClient) -> None:
        self._client = client

    def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> None:
        try:
            self._client.publish(topic=topic, qos=1, retain=retain, payload=payload)
        except (ClientError, BotoCoreError) as error:
            raise_if_transient(error, IOT_TRANSIENT_ERROR_CODES)
            raise
