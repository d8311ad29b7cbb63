"""Drives Portico's management API with boto3 the way a deploy script would; exits non-zero on any mismatch."""
import json
import os
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

endpoint = os.environ["PORTICO_ENDPOINT"]
spec = open(sys.argv[1], "rb").read()


def client(secret=os.environ["AWS_SECRET_ACCESS_KEY"]):
    return boto3.client(
        "apigateway",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1}),
    )


def expect(cond, what):
    if not cond:
        print("FAIL:", what)
        sys.exit(1)


gw = client()
api = gw.import_rest_api(body=spec)
api_id = api["id"]
expect(len(api_id) == 10, f"api id {api_id!r}")

resources = gw.get_resources(restApiId=api_id, embed=["methods"])["items"]
paths = sorted(r["path"] for r in resources)
expect("/pets/{petId}" in paths and "/proxy/{proxy+}" in paths, f"paths {paths}")

dep = gw.create_deployment(restApiId=api_id, stageName="demo", variables={"self": "127.0.0.1:1"})
stage = gw.get_stage(restApiId=api_id, stageName="demo")
expect(stage["deploymentId"] == dep["id"], f"stage {stage}")
expect(stage["variables"] == {"self": "127.0.0.1:1"}, f"variables {stage.get('variables')}")

gw.update_stage(restApiId=api_id, stageName="demo",
                patchOperations=[{"op": "replace", "path": "/variables/self", "value": "127.0.0.1:2"}])
expect(gw.get_stage(restApiId=api_id, stageName="demo")["variables"]["self"] == "127.0.0.1:2", "variable patch")

responses = gw.get_gateway_responses(restApiId=api_id, limit=500)["items"]
types = {r["responseType"]: r for r in responses}
expect(len(types) == 21, f"{len(types)} gateway responses")
expect(types["MISSING_AUTHENTICATION_TOKEN"]["statusCode"] == "404", "customised gateway response")
expect(types["THROTTLED"]["defaultResponse"] is True, "built-in gateway response")

exported = gw.get_export(restApiId=api_id, stageName="demo", exportType="oas30",
                         parameters={"extensions": "apigateway"}, accepts="application/json")
doc = json.loads(exported["body"].read())
expect("/pets/{petId}" in doc["paths"], "export paths")

for call, want in [
    (lambda: gw.get_rest_api(restApiId="nosuchapi0"), "NotFoundException"),
    (lambda: gw.update_rest_api(restApiId=api_id, patchOperations=[{"op": "replace", "path": "/nosuchfield", "value": "x"}]), "BadRequestException"),
    (lambda: gw.delete_deployment(restApiId=api_id, deploymentId=dep["id"]), "BadRequestException"),
    (lambda: client(secret="wrong-secret").get_rest_apis(), "InvalidSignatureException"),
]:
    try:
        call()
        expect(False, f"expected {want}")
    except ClientError as e:
        expect(e.response["Error"]["Code"] == want, f"got {e.response['Error']} want {want}")

gw.delete_rest_api(restApiId=api_id)
expect(all(a["id"] != api_id for a in gw.get_rest_apis()["items"]), "api deleted")
print("ok")
