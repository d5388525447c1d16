"""A response centre's HTTP API: API Gateway HTTP API with a JWT authorizer (issuer, audience, signature,
expiry checked by the gateway) in front of the centre_api function, which reaches exactly the tenants
that named the centre.

One route per entry of ``dho.centre.routes.ROUTE_ACTIONS``; every route but the OpenAPI document needs a
valid token. The function's role: per served tenant, reads of its table and triage index, the writes an
alert action, an enrolment, a device hand-out or a plan version makes (conditional put/update/delete, alone
or in one transaction), the access log's put (its attributes only) and query, and that tenant's key;
nothing of any other tenant. The stage writes access
logs (no bodies, no tokens) to an encrypted log group and throttles. The tenants' tables are named by
convention and their keys read from the SSM parameter each tenant stack writes: no CloudFormation export
ties a tenant's stack to the centre's.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from aws_cdk import Duration, RemovalPolicy, Stack, Token
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from dho.adapters.table_schema import ACCESS_LOG_ATTRIBUTES, TRIAGE_INDEX
from dho.centre.routes import PUBLIC_ROUTES, ROUTE_ACTIONS
from infra.compliance import acknowledge
from infra.config import Centre, Identity, Tenant
from infra.constructs.access_log_table import access_log_table_name
from infra.constructs.device_policy import config_topic
from infra.constructs.log_retention import log_retention
from infra.constructs.tenant_function import hardened_function
from infra.constructs.tenant_key import tenant_key_arn_parameter, tenant_log_group_prefix
from infra.layer_catalog import CENTRE_API

READ_ACTIONS = ("dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query")
# An acknowledge or close is one TransactWriteItems (authorised per item action): the alert's conditional
# put, the open-alert guard's delete or condition check, the watermark's update.
ALERT_WRITE_ACTIONS = ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem")
ACCESS_LOG_READ_ACTIONS = ("dynamodb:Query",)
# A retained publish needs iot:RetainPublish as well as iot:Publish (IoT Core authorises both).
CONFIG_PUBLISH_ACTIONS = ("iot:Publish", "iot:RetainPublish")
KEY_ACTIONS = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey")
RESERVED_CONCURRENCY = 10
LAMBDA_ENVIRONMENT_LIMIT = 4096  # bytes, all variables together (Lambda quota)
THROTTLE_RATE = 50  # requests per second for the whole centre: a handful of nurses and GPs
THROTTLE_BURST = 100


def tenant_table_name(tenant_id: str) -> str:
    return f"dho-{tenant_id}"  # infra.constructs.tenant_table (tests/infra compare the two)


def _config_topics_arn(stack: Stack, tenant: Tenant, *, for_nag: bool = False) -> str:
    """The ARN of every config topic of the tenant's devices (cdk-nag names the account as it prints it)."""
    if for_nag:
        account = "<AWS::AccountId>" if Token.is_unresolved(stack.account) else stack.account
        return f"arn:aws:iot:{tenant.region}:{account}:topic/{config_topic(tenant.tenant_id, '*')}"
    return stack.format_arn(service="iot", resource="topic", region=tenant.region,
                            resource_name=config_topic(tenant.tenant_id, "*"))


def centre_owner_id(centre: Centre) -> str:
    """The name part of the centre's function, log groups and key (``dho-centre-salten-centre-api``)."""
    return f"centre-{centre.centre_id}"


class CentreApi(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        centre: Centre,
        identity: Identity,
        served: Sequence[Tenant],
        staff: dict[str, list[dict[str, object]]],
        key: kms.IKey,
        layers: Sequence[lambda_.ILayerVersion],
        page_origins: Sequence[str] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        owner = centre_owner_id(centre)
        stack = Stack.of(self)
        log_days = max(t.retention.log_days for t in served)  # as long as the longest-keeping tenant
        statements: list[iam.PolicyStatement] = []
        environment_tenants: dict[str, dict[str, str]] = {}
        for tenant in served:
            tenant_id = tenant.tenant_id
            sid = "".join(part.capitalize() for part in tenant_id.split("-"))
            # By name, not by reference to the tenant's stack: no export ties the two stacks together.
            table_arn = stack.format_arn(service="dynamodb", resource="table",
                                         resource_name=tenant_table_name(tenant_id))
            access_log_arn = stack.format_arn(service="dynamodb", resource="table",
                                              resource_name=access_log_table_name(tenant_id))
            key_arn = ssm.StringParameter.value_for_string_parameter(self, tenant_key_arn_parameter(tenant_id))
            statements += [
                iam.PolicyStatement(sid=f"Read{sid}", actions=list(READ_ACTIONS),
                                    resources=[table_arn, f"{table_arn}/index/{TRIAGE_INDEX}"]),
                iam.PolicyStatement(sid=f"ActOnAlerts{sid}", actions=list(ALERT_WRITE_ACTIONS), resources=[table_arn]),
                iam.PolicyStatement(
                    sid=f"WriteAccessLog{sid}",
                    actions=["dynamodb:PutItem"],
                    resources=[access_log_arn],
                    conditions={
                        "ForAllValues:StringEquals": {"dynamodb:Attributes": list(ACCESS_LOG_ATTRIBUTES)},
                        "StringEqualsIfExists": {"dynamodb:ReturnValues": "NONE"},
                    },
                ),
                iam.PolicyStatement(sid=f"ReadAccessLog{sid}", actions=list(ACCESS_LOG_READ_ACTIONS),
                                    resources=[access_log_arn]),
                iam.PolicyStatement(sid=f"Key{sid}", actions=list(KEY_ACTIONS), resources=[key_arn]),
                # The retained config message of this tenant's devices (a plan version saved, a device
                # handed out; cleared by an empty retained publish when it comes back, the same two actions):
                # their config topics only, in the tenant's region; nothing else on IoT.
                iam.PolicyStatement(sid=f"PublishDeviceConfig{sid}", actions=list(CONFIG_PUBLISH_ACTIONS),
                                    resources=[_config_topics_arn(stack, tenant)]),
            ]
            acknowledge(
                self,
                f"AwsSolutions::AwsSolutions-IAM5[Resource::{_config_topics_arn(stack, tenant, for_nag=True)}]",
                "One config topic per device of this tenant, and devices come and go with enrolments: the wildcard "
                "is the device id segment only, inside this tenant's own topic tree (no other tenant, no other topic).",
            )
            environment_tenants[tenant_id] = {
                "name": tenant.name,  # what the users see in the municipality column, not the id
                "table_name": tenant_table_name(tenant_id),
                "access_log_table_name": access_log_table_name(tenant_id),
                "alert_policy": tenant.alert_policy_json(),
                **({"iot_data_endpoint": tenant.iot_data_endpoint} if tenant.iot_data_endpoint else {}),
            }
        environment = {
            "DHO_CENTRE_ID": centre.centre_id,
            "DHO_CENTRE_TENANTS": json.dumps(environment_tenants, separators=(",", ":")),
            "DHO_STAFF": json.dumps(staff, separators=(",", ":"), sort_keys=True),
            "POWERTOOLS_SERVICE_NAME": CENTRE_API.name,
            "POWERTOOLS_TRACER_CAPTURE_RESPONSE": "false",
            "POWERTOOLS_TRACER_CAPTURE_ERROR": "false",
            "POWERTOOLS_LOGGER_LOG_EVENT": "false",
        }
        check_environment_size(centre, environment)
        self.function = hardened_function(
            self,
            owner_id=owner,
            log_days=log_days,
            key=key,
            spec=CENTRE_API,
            description=f"HTTP API of response centre {centre.centre_id} over {', '.join(centre.tenants)}",
            statements=statements,
            environment=environment,
            layers=layers,
            timeout=Duration.seconds(15),
            memory_size=512,
            reserved_concurrency=RESERVED_CONCURRENCY,
        )
        acknowledge(
            self.function,
            "HIPAA.Security::HIPAA.Security-LambdaDLQ",
            "The API Gateway integration invokes the function synchronously and returns its answer or error "
            "to the caller; a Lambda DLQ applies to asynchronous invocations only.",
        )

        access_logs = logs.LogGroup(
            self,
            "AccessLogs",
            log_group_name=f"{tenant_log_group_prefix(owner)}http-api-access",
            encryption_key=key,
            retention=log_retention(log_days),
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.api = apigw.HttpApi(
            self,
            "Api",
            api_name=f"dho-{owner}-api",
            description=f"Response centre {centre.centre_id}: worklist, alerts, patient view, access log",
            create_default_stage=False,
            # The nurses' page (infra.constructs.centre_web) calls from its own origin with a bearer token.
            cors_preflight=apigw.CorsPreflightOptions(
                allow_origins=list(page_origins), allow_headers=["authorization", "content-type", "if-match"],
                allow_methods=[apigw.CorsHttpMethod.GET, apigw.CorsHttpMethod.POST], expose_headers=["etag"],
                max_age=Duration.minutes(10),
            ) if page_origins else None,
        )
        stage = apigw.HttpStage(
            self,
            "Stage",
            http_api=self.api,
            stage_name="$default",
            auto_deploy=True,
            throttle=apigw.ThrottleSettings(rate_limit=THROTTLE_RATE, burst_limit=THROTTLE_BURST),
        )
        cfn_stage = stage.node.default_child
        assert isinstance(cfn_stage, apigw.CfnStage)
        # Who called which route with what status: no bodies, no tokens, no query strings (patient ids).
        cfn_stage.access_log_settings = apigw.CfnStage.AccessLogSettingsProperty(
            destination_arn=access_logs.log_group_arn,
            format=json.dumps({
                "requestId": "$context.requestId", "routeKey": "$context.routeKey", "status": "$context.status",
                "sub": "$context.authorizer.claims.sub", "requestTime": "$context.requestTime",
                "latencyMs": "$context.responseLatency", "authorizerError": "$context.authorizer.error",
            }),
        )
        self.url = stage.url
        authorizer = authorizers.HttpJwtAuthorizer(
            "HelseId", identity.issuer, jwt_audience=[identity.audience], authorizer_name=f"dho-{owner}-jwt",
        )
        integration = integrations.HttpLambdaIntegration(
            "Function", self.function, payload_format_version=apigw.PayloadFormatVersion.VERSION_2_0
        )
        for route_key in ROUTE_ACTIONS:
            method, path = route_key.split(" ", 1)
            route = apigw.HttpRoute(
                self,
                f"Route{_construct_id(route_key)}",
                http_api=self.api,
                route_key=apigw.HttpRouteKey.with_(path, apigw.HttpMethod(method)),
                integration=integration,
                authorizer=apigw.HttpNoneAuthorizer() if route_key in PUBLIC_ROUTES else authorizer,
            )
            if route_key in PUBLIC_ROUTES:
                acknowledge(
                    route,
                    "AwsSolutions::AwsSolutions-APIG4",
                    "The OpenAPI document of the API is public: it describes the routes and holds no data.",
                )


def check_environment_size(centre: Centre, environment: dict[str, str]) -> None:
    """Lambda refuses a function whose environment exceeds 4 KB: say so at synth, naming the centre."""
    size = sum(len(name.encode()) + len(value.encode()) for name, value in environment.items())
    if size > LAMBDA_ENVIRONMENT_LIMIT:
        raise ValueError(
            f"centre {centre.centre_id!r}: its API's environment (tenants and staff) is {size} bytes, over "
            f"Lambda's {LAMBDA_ENVIRONMENT_LIMIT}; list fewer staff in the tenant file or move the staff "
            "directory to a table (docs/api.md)"
        )


def _construct_id(route_key: str) -> str:
    return "".join(part.capitalize() for part in route_key.replace("{", "").replace("}", "").replace(".", "-")
                   .replace("/", "-").replace(" ", "-").split("-") if part)
