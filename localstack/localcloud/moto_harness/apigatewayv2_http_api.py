"""``AWS::ApiGatewayV2::{Api,Authorizer,Integration,Route,Stage}`` are created in moto's API Gateway v2
store (moto 5.2.5 silently skips the types, so a centre's stack deployed without its API).

Each resource's ``Ref`` is its id as API Gateway gives it (the stage's: its name), so the routes point at
the integration and the authorizer as deployed. moto serves no HTTP API traffic: the local cloud's
``localcloud.http_api`` does, from the synthesized routes and authorizers. An update replaces the part.
"""

from __future__ import annotations

from typing import Any

from moto.apigatewayv2.models import apigatewayv2_backends
from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
from moto.core.common_models import CloudFormationModel


def _backend(account_id: str, region_name: str) -> Any:
    return apigatewayv2_backends[account_id][region_name]


class _Part:
    """One part of an HTTP API: ``ident`` is its Ref (the API's id, or the part's id within it). Each
    model below also names CloudFormationModel directly: moto finds models by ``__subclasses__``."""

    def __init__(self, ident: str, api_id: str) -> None:
        self.ident = ident
        self.api_id = api_id

    @property
    def physical_resource_id(self) -> str:
        return self.ident

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return False

    def get_cfn_attribute(self, attribute_name: str) -> str:
        raise UnformattedGetAttTemplateException()

    @classmethod
    def create(cls, properties: dict[str, Any], account_id: str, region_name: str) -> _Part:
        raise NotImplementedError

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str,
        **kwargs: Any,
    ) -> _Part:
        return cls.create(cloudformation_json.get("Properties", {}), account_id, region_name)

    @classmethod
    def update_from_cloudformation_json(
        cls, original_resource: _Part, new_resource_name: str, cloudformation_json: dict[str, Any],
        account_id: str, region_name: str,
    ) -> _Part:
        original_resource.delete(account_id, region_name)
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

    def delete(self, account_id: str, region_name: str) -> None:
        raise NotImplementedError


class CfnHttpApi(_Part, CloudFormationModel):
    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApiGatewayV2::Api"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in ("ApiId", "ApiEndpoint")

    def get_cfn_attribute(self, attribute_name: str) -> str:
        if attribute_name == "ApiId":
            return self.ident
        if attribute_name == "ApiEndpoint":
            return f"https://{self.ident}.execute-api.local"
        raise UnformattedGetAttTemplateException()

    @classmethod
    def create(cls, properties: dict[str, Any], account_id: str, region_name: str) -> _Part:
        api = _backend(account_id, region_name).create_api(
            api_key_selection_expression=properties.get("ApiKeySelectionExpression"),
            cors_configuration=properties.get("CorsConfiguration"), description=properties.get("Description"),
            disable_schema_validation=properties.get("DisableSchemaValidation"),
            disable_execute_api_endpoint=properties.get("DisableExecuteApiEndpoint"), name=properties["Name"],
            protocol_type=properties.get("ProtocolType", "HTTP"),
            route_selection_expression=properties.get("RouteSelectionExpression"),
            tags=properties.get("Tags") or {}, version=properties.get("Version"),
        )
        return cls(api.api_id, api.api_id)

    def delete(self, account_id: str, region_name: str) -> None:
        _backend(account_id, region_name).delete_api(self.ident)


class CfnHttpAuthorizer(_Part, CloudFormationModel):
    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApiGatewayV2::Authorizer"

    @classmethod
    def create(cls, properties: dict[str, Any], account_id: str, region_name: str) -> _Part:
        jwt = properties.get("JwtConfiguration") or {}
        authorizer = _backend(account_id, region_name).create_authorizer(
            api_id=properties["ApiId"], auth_creds_arn=properties.get("AuthorizerCredentialsArn"),
            auth_payload_format_version=properties.get("AuthorizerPayloadFormatVersion"),
            auth_result_ttl=properties.get("AuthorizerResultTtlInSeconds"),
            authorizer_uri=properties.get("AuthorizerUri"), authorizer_type=properties["AuthorizerType"],
            enable_simple_response=properties.get("EnableSimpleResponses"),
            identity_source=properties.get("IdentitySource"),
            identity_validation_expr=properties.get("IdentityValidationExpression"),
            jwt_config={"audience": jwt.get("Audience", []), "issuer": jwt.get("Issuer")} if jwt else None,
            name=properties["Name"],
        )
        return cls(authorizer.id, properties["ApiId"])

    def delete(self, account_id: str, region_name: str) -> None:
        _backend(account_id, region_name).delete_authorizer(self.api_id, self.ident)


class CfnHttpIntegration(_Part, CloudFormationModel):
    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApiGatewayV2::Integration"

    @classmethod
    def create(cls, properties: dict[str, Any], account_id: str, region_name: str) -> _Part:
        integration = _backend(account_id, region_name).create_integration(
            api_id=properties["ApiId"], connection_id=properties.get("ConnectionId"),
            connection_type=properties.get("ConnectionType"),
            content_handling_strategy=properties.get("ContentHandlingStrategy"),
            credentials_arn=properties.get("CredentialsArn"), description=properties.get("Description"),
            integration_method=properties.get("IntegrationMethod"),
            integration_subtype=properties.get("IntegrationSubtype"),
            integration_type=properties["IntegrationType"], integration_uri=properties.get("IntegrationUri"),
            passthrough_behavior=properties.get("PassthroughBehavior"),
            payload_format_version=properties.get("PayloadFormatVersion"),
            request_parameters=properties.get("RequestParameters"),
            request_templates=properties.get("RequestTemplates"),
            response_parameters=properties.get("ResponseParameters"),
            template_selection_expression=properties.get("TemplateSelectionExpression"),
            timeout_in_millis=properties.get("TimeoutInMillis"), tls_config=properties.get("TlsConfig") or {},
        )
        return cls(integration.id, properties["ApiId"])

    def delete(self, account_id: str, region_name: str) -> None:
        _backend(account_id, region_name).delete_integration(self.api_id, self.ident)


class CfnHttpRoute(_Part, CloudFormationModel):
    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApiGatewayV2::Route"

    @classmethod
    def create(cls, properties: dict[str, Any], account_id: str, region_name: str) -> _Part:
        route = _backend(account_id, region_name).create_route(
            api_id=properties["ApiId"], api_key_required=bool(properties.get("ApiKeyRequired", False)),
            authorization_scopes=properties.get("AuthorizationScopes") or [],
            authorization_type=properties.get("AuthorizationType", "NONE"),
            authorizer_id=properties.get("AuthorizerId"),
            model_selection_expression=properties.get("ModelSelectionExpression"),
            operation_name=properties.get("OperationName"), request_models=properties.get("RequestModels"),
            request_parameters=properties.get("RequestParameters"), route_key=properties["RouteKey"],
            route_response_selection_expression=properties.get("RouteResponseSelectionExpression"),
            target=properties.get("Target"),
        )
        return cls(route.route_id, properties["ApiId"])

    def delete(self, account_id: str, region_name: str) -> None:
        _backend(account_id, region_name).delete_route(self.api_id, self.ident)


class CfnHttpStage(_Part, CloudFormationModel):
    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApiGatewayV2::Stage"

    @classmethod
    def create(cls, properties: dict[str, Any], account_id: str, region_name: str) -> _Part:
        def camel(name: str) -> str:
            return name[:1].lower() + name[1:]

        config = {camel(name): value for name, value in properties.items() if name != "ApiId"}
        stage = _backend(account_id, region_name).create_stage(properties["ApiId"], config)
        return cls(stage.name, properties["ApiId"])

    def delete(self, account_id: str, region_name: str) -> None:
        _backend(account_id, region_name).delete_stage(self.api_id, self.ident)


def apply() -> None:
    """The models register themselves with moto by being defined (``CloudFormationModel.__subclasses__``)."""
