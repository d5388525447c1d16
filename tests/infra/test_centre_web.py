"""GIVEN the tenant file's centres WHEN the app is synthesized THEN each centre's nurses' page is a private
bucket that only its CloudFront distribution reads (OAC), served with a strict response headers policy, and
the centre's API answers CORS for that page's origin only."""

from __future__ import annotations

from typing import Any

from aws_cdk.assertions import Match, Template

from infra.app import centre_stack_name
from infra.config import PlatformConfig
from tests.infra.helpers import only_resource, resources_of_type


def _template(templates: dict[str, dict[str, Any]], platform_config: PlatformConfig) -> dict[str, Any]:
    return templates[centre_stack_name(platform_config.centres[0].centre_id)]


def test_each_centre_has_one_page_distribution(
    templates: dict[str, dict[str, Any]], platform_config: PlatformConfig
) -> None:
    for centre in platform_config.centres:
        template = Template.from_json(templates[centre_stack_name(centre.centre_id)])
        template.resource_count_is("AWS::CloudFront::Distribution", 1)
        template.resource_count_is("AWS::CloudFront::ResponseHeadersPolicy", 1)
        template.has_output("WebUrl", {})
        template.has_output("WebBucket", {})


def test_the_page_bucket_is_private_and_read_by_its_distribution_only(
    templates: dict[str, dict[str, Any]], platform_config: PlatformConfig
) -> None:
    template = _template(templates, platform_config)
    buckets = resources_of_type(template, "AWS::S3::Bucket")
    (page_id,) = [i for i, b in buckets.items() if "LoggingConfiguration" in b["Properties"]]
    page = buckets[page_id]["Properties"]
    assert page["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    assert "WebsiteConfiguration" not in page
    policies = [p["Properties"]["PolicyDocument"]["Statement"] for p in
                resources_of_type(template, "AWS::S3::BucketPolicy").values()
                if p["Properties"]["Bucket"] == {"Ref": page_id}]
    (statements,) = policies
    (read,) = [s for s in statements if s["Effect"] == "Allow"]
    _, distribution = only_resource(template, "AWS::CloudFront::Distribution")
    distribution_id = next(i for i, r in template["Resources"].items() if r is distribution)
    assert read["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert read["Action"] == "s3:GetObject"
    assert {"Ref": distribution_id} in read["Condition"]["StringEquals"]["AWS:SourceArn"]["Fn::Join"][1]
    assert any(s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
               for s in statements)
    (origin,) = distribution["Properties"]["DistributionConfig"]["Origins"]
    assert origin["OriginAccessControlId"] and origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}


def test_every_answer_carries_the_strict_headers(
    templates: dict[str, dict[str, Any]], platform_config: PlatformConfig
) -> None:
    template = _template(templates, platform_config)
    _, policy = only_resource(template, "AWS::CloudFront::ResponseHeadersPolicy")
    security = policy["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    csp = security["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    directives = dict(d.split(" ", 1) for d in csp.split("; "))
    _, distribution = only_resource(template, "AWS::CloudFront::Distribution")
    behaviour = distribution["Properties"]["DistributionConfig"]["DefaultCacheBehavior"]

    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["connect-src"].split() == [
        "'self'", "https://*.execute-api.eu-north-1.amazonaws.com", platform_config.identity.issuer]
    assert security["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31_536_000
    assert security["StrictTransportSecurity"]["IncludeSubdomains"] is True
    assert security["ContentTypeOptions"] == {"Override": True}
    assert security["FrameOptions"]["FrameOption"] == "DENY"
    assert security["ReferrerPolicy"]["ReferrerPolicy"] == "no-referrer"
    assert all(s["Override"] for s in security.values())
    assert behaviour["ViewerProtocolPolicy"] == "redirect-to-https"
    assert behaviour["ResponseHeadersPolicyId"] == {"Ref": next(
        i for i, r in template["Resources"].items() if r["Type"] == "AWS::CloudFront::ResponseHeadersPolicy")}


def test_the_api_allows_the_page_origin_only(
    templates: dict[str, dict[str, Any]], platform_config: PlatformConfig
) -> None:
    template = Template.from_json(_template(templates, platform_config))
    distribution_id = next(iter(template.find_resources("AWS::CloudFront::Distribution")))

    template.has_resource_properties("AWS::ApiGatewayV2::Api", {"CorsConfiguration": {
        "AllowOrigins": [{"Fn::Join": ["", ["https://", {"Fn::GetAtt": [distribution_id, "DomainName"]}]]}],
        "AllowHeaders": Match.array_with(["authorization", "if-match"]),
        "AllowMethods": ["GET", "POST"],
    }})
