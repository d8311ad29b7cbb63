"""Signs and sends one request with botocore's own SigV4 signers, as boto3-based clients of an
IAM-protected API do. Arguments: METHOD URL BODY MODE (header|query); the credentials come from
AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and, when set, AWS_SESSION_TOKEN; the region from
AWS_REGION. Prints the status, a newline, then the body."""
import os
import sys
import urllib.error
import urllib.request

from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

method, url, body, mode = sys.argv[1:5]
creds = Credentials(os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"],
                    os.environ.get("AWS_SESSION_TOKEN") or None)
req = AWSRequest(method=method, url=url, data=body.encode() if body else None,
                 headers={"Content-Type": "application/json"} if body else {})
if mode == "query":
    SigV4QueryAuth(creds, "execute-api", os.environ["AWS_REGION"], expires=60).add_auth(req)
else:
    SigV4Auth(creds, "execute-api", os.environ["AWS_REGION"]).add_auth(req)
prepared = req.prepare()
r = urllib.request.Request(prepared.url, data=prepared.body, method=method, headers=dict(prepared.headers))
try:
    with urllib.request.urlopen(r) as resp:
        status, out = resp.status, resp.read()
except urllib.error.HTTPError as e:
    status, out = e.code, e.read()
sys.stdout.write(str(status) + "\n" + out.decode())
