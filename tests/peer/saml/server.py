"""A SAML 2.0 identity provider's metadata, made by pysaml2 (a library Skybridge did not
write) and served over HTTPS on loopback, for testing Skybridge's metadata reader.

Usage: server.py --signing-cert PEM --signing-key PEM --tls-cert PEM --tls-key PEM
                 [--entity-id URI] [--host 127.0.0.1]

Prints one JSON line, {"url": ..., "entityId": ...}, once it listens; serves the metadata at
/idp/metadata until its standard input closes (so it never outlives the test that started it).
"""

import argparse
import http.server
import json
import ssl
import sys
import threading

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import entity_descriptor, metadata_tostring_fix
from saml2.validate import valid_instance


def metadata(args, base):
    config = IdPConfig()
    config.load(
        {
            "entityid": args.entity_id or base + "/idp",
            "name": "Skybridge test identity provider",
            "key_file": args.signing_key,
            "cert_file": args.signing_cert,
            "xmlsec_binary": args.xmlsec,
            "service": {
                "idp": {
                    "endpoints": {
                        "single_sign_on_service": [
                            (base + "/idp/sso/redirect", BINDING_HTTP_REDIRECT),
                            (base + "/idp/sso/post", BINDING_HTTP_POST),
                        ],
                        "single_logout_service": [
                            (base + "/idp/slo/redirect", BINDING_HTTP_REDIRECT),
                        ],
                    },
                    "name_id_format": [
                        "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
                    ],
                }
            },
        }
    )
    descriptor = entity_descriptor(config)
    valid_instance(descriptor)
    text = metadata_tostring_fix(descriptor, {"xs": "http://www.w3.org/2001/XMLSchema"})
    return config.entityid, text if isinstance(text, bytes) else text.encode()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--signing-cert", required=True)
    p.add_argument("--signing-key", required=True)
    p.add_argument("--tls-cert", required=True)
    p.add_argument("--tls-key", required=True)
    p.add_argument("--entity-id")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--name", default=None, help="host name in the URLs (default: --host)")
    p.add_argument("--xmlsec", default="/usr/bin/xmlsec1")
    args = p.parse_args()

    class Handler(http.server.BaseHTTPRequestHandler):
        body = b""

        def do_GET(self):
            if self.path.split("?")[0] in ("/idp/metadata", "/FederationMetadata/2007-06/FederationMetadata.xml"):
                self.send_response(200)
                self.send_header("Content-Type", "application/samlmetadata+xml")
                self.send_header("Content-Length", str(len(Handler.body)))
                self.end_headers()
                self.wfile.write(Handler.body)
            else:
                self.send_error(404)

        def log_message(self, *a):
            sys.stderr.write((a[0] % a[1:]) + "\n")

    server = http.server.ThreadingHTTPServer((args.host, 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.tls_cert, args.tls_key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    port = server.server_address[1]
    base = "https://%s:%d" % (args.name or args.host, port)
    entity_id, Handler.body = metadata(args, base)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(json.dumps({"url": base + "/idp/metadata", "entityId": entity_id}), flush=True)
    sys.stdin.read()
    server.shutdown()


if __name__ == "__main__":
    main()
