"""The nurses' page of a response centre: a private S3 bucket behind CloudFront (origin access control),
every answer with a strict response headers policy.

The bucket is never public: CloudFront reads it with its own service principal, for this distribution only
(OAC), over TLS. The headers: a Content-Security-Policy that allows scripts, styles and fetches from the
page's own origin and connections to the region's API Gateway endpoints and the identity issuer only (no
inline script or style, no frames in or out), HSTS, nosniff, ``frame-ancestors 'none'`` with
``X-Frame-Options: DENY``, ``Referrer-Policy: no-referrer``. The CSP names the region's API Gateway
endpoints, not this centre's API: the API's CORS names the page's CloudFront domain, and the two cannot
both refer to each other in one template. The local cloud serves build/web with these very headers, read
from the template (``localcloud.web_host``). ``infra.publish_web`` uploads build/web and writes
``config.json`` (API URL, issuer, client id) from the stack's outputs.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.compliance import acknowledge
from infra.config import Identity

HSTS_MAX_AGE = Duration.days(730)
# Where the page may be opened from: the centres' staff work in Norway (CloudFront's geo restriction).
VIEWER_COUNTRIES = ("NO",)
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


def content_security_policy(region: str, issuer: str) -> str:
    """The page's CSP: its own files, the region's API Gateway endpoints and the issuer; nothing inline."""
    api = f"https://*.execute-api.{region}.amazonaws.com"
    return "; ".join([
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        f"connect-src 'self' {api} {issuer}",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "frame-src 'none'",
        "base-uri 'none'",
        "object-src 'none'",
        "manifest-src 'self'",
    ])


class CentreWeb(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, identity: Identity, log_days: int) -> None:
        super().__init__(scope, construct_id)
        region = Stack.of(self).region
        self.logs = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            # CloudFront's standard logs are written with an ACL: the bucket owner keeps full control.
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(log_days),
                                              noncurrent_version_expiration=Duration.days(1))],
            removal_policy=RemovalPolicy.RETAIN,
        )
        for finding in ("HIPAA.Security::HIPAA.Security-S3BucketReplicationEnabled",
                        "HIPAA.Security::HIPAA.Security-S3DefaultEncryptionKMS"):
            acknowledge(self.logs, finding,
                        "Access logs of a static page (request lines, no patient data: the data is behind the "
                        "centre API); expired after the tenants' log retention, not replicated, S3-managed keys.")
        self.bucket = s3.Bucket(
            self,
            "Page",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=self.logs,
            server_access_logs_prefix="page-bucket/",
            lifecycle_rules=[s3.LifecycleRule(noncurrent_version_expiration=Duration.days(30))],
            removal_policy=RemovalPolicy.RETAIN,
        )
        for finding in ("HIPAA.Security::HIPAA.Security-S3BucketReplicationEnabled",
                        "HIPAA.Security::HIPAA.Security-S3DefaultEncryptionKMS"):
            acknowledge(self.bucket, finding,
                        "The bucket holds the page's static files only (built from the repository, no patient "
                        "data); a lost bucket is rebuilt by publishing again. S3-managed keys let CloudFront's "
                        "OAC read it without a KMS key policy.")
        self.headers = cloudfront.ResponseHeadersPolicy(
            self,
            "Headers",
            comment="DHO nurses' page: strict CSP, HSTS, no framing, no referrer",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=content_security_policy(region, identity.issuer), override=True),
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=HSTS_MAX_AGE, include_subdomains=True, preload=True, override=True),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.NO_REFERRER, override=True),
            ),
            custom_headers_behavior=cloudfront.ResponseCustomHeadersBehavior(custom_headers=[
                cloudfront.ResponseCustomHeader(header="Permissions-Policy", value=PERMISSIONS_POLICY, override=True),
                cloudfront.ResponseCustomHeader(header="Cross-Origin-Opener-Policy", value="same-origin",
                                                override=True),
            ]),
        )
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment="DHO nurses' page",
            default_root_object="index.html",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=self.headers,
                compress=True,
            ),
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
            geo_restriction=cloudfront.GeoRestriction.allowlist(*VIEWER_COUNTRIES),
            enable_logging=True,
            log_bucket=self.logs,
            log_file_prefix="cloudfront/",
        )
        acknowledge(self.distribution, "AwsSolutions::AwsSolutions-CFR2",
                    "The distribution serves static files only; every request for data goes to the centre API, "
                    "which verifies a HelseID token at the gateway and throttles. A CloudFront web ACL lives in "
                    "us-east-1 and is added per account, not per centre stack.")
        acknowledge(self.distribution, "AwsSolutions::AwsSolutions-CFR4",
                    "Until a centre gets its own domain and ACM certificate (us-east-1) the distribution uses "
                    "the default cloudfront.net certificate, whose minimum protocol CloudFront fixes; a custom "
                    "domain comes with the TLSv1.2_2021 security policy.")

    @property
    def origin(self) -> str:
        """The page's origin (``https://<distribution>.cloudfront.net``), for the API's CORS."""
        return f"https://{self.distribution.distribution_domain_name}"
