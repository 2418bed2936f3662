"""Runs the scim2-tester conformance checks against a running appliance and
prints one JSON object per check: its title, status, reason, tags and
resource type. The Rust test reads them and decides.

Usage: scim_conformance.py BASE_URL TOKEN CA_FILE
"""

import json
import sys

from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import check_server


def main():
    base, token, ca = sys.argv[1:4]
    http = Client(
        base_url=base,
        headers={"Authorization": f"Bearer {token}"},
        verify=ca,
        timeout=30,
    )
    client = SyncSCIMClient(http)
    client.discover()
    for result in check_server(client, raise_exceptions=False):
        print(
            json.dumps(
                {
                    "title": result.title,
                    "status": result.status.name,
                    "reason": result.reason,
                    "tags": sorted(result.tags or []),
                    "resource_type": result.resource_type,
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
