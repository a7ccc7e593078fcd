"""LAPOR's Open311 GeoReport v2 endpoint read by a real client, the PyPI `georeport` package
(GET calls, JSON and XML), and written to by a small client of our own (POST requests, as the
specification's example posts a form).

Usage: georeport_check.py BASE_URL API_KEY
BASE_URL is the endpoint's root (http://127.0.0.1:PORT/open311/v2). Exits non-zero on the first
check that fails, saying which; prints one line per check that passed.
"""

import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import xmltodict
from georeport import GeoReport

# Who the institution's system says the reporter is: must never come back in any answer.
FIRST_NAME, LAST_NAME = "Siti", "Rahayu"
EMAIL, PHONE = "siti.open311@example.id", "081234567890"
ROUTED_WITHIN = 60  # seconds: the router inside `lapor-local serve` places the report


def check(condition, what):
    if not condition:
        print(f"FAILED: {what}", file=sys.stderr)
        sys.exit(1)
    print(f"ok: {what}")


def post_request(base, fmt, fields):
    """POST requests.{fmt} as a form, the way the specification's example does."""
    body = urllib.parse.urlencode(fields).encode()
    request = urllib.request.Request(
        f"{base}/requests.{fmt}",
        data=body,
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read()


def no_identity(text, what):
    for secret in (FIRST_NAME, LAST_NAME, EMAIL, PHONE):
        check(secret not in text, f"{what} carries no reporter identity ({secret!r} absent)")


def main():
    base, api_key = sys.argv[1], sys.argv[2]
    as_json = GeoReport(base, jurisdiction="lapor.go.id")
    as_xml = GeoReport(base, jurisdiction="lapor.go.id", output_format="xml")

    # ---- GET services, services/{code}
    services = as_json.get_service_list()
    codes = [s["service_code"] for s in services]
    check(codes == ["complaint", "aspiration", "information_request"], f"services.json codes {codes}")
    check(all(s["metadata"] is True and s["type"] == "realtime" for s in services),
          "services.json: metadata true, type realtime")
    xml_services = as_xml.get_service_list()
    check([s["service_code"] for s in xml_services] == codes, "services.xml: the same codes")
    check(xml_services[0]["metadata"] == "true", "services.xml: metadata is the text true")
    definition = as_json.get_service_definition("complaint")
    attribute_codes = [a["code"] for a in definition["attributes"]]
    check(definition["service_code"] == "complaint" and "category" in attribute_codes
          and "confidential" in attribute_codes, f"services/complaint.json attributes {attribute_codes}")
    xml_definition = as_xml.get_service_definition("complaint")
    xml_codes = [a["code"] for a in xml_definition["attributes"]["attribute"]]
    check(xml_codes == attribute_codes, "services/complaint.xml: the same attributes")

    # ---- POST requests: refused without a valid key, accepted with one
    fields = {
        "api_key": api_key,
        "jurisdiction_id": "lapor.go.id",
        "service_code": "complaint",
        "lat": "-6.9175",
        "long": "107.6191",
        "address_string": "Jalan Asia Afrika dekat alun-alun, Kota Bandung",
        "email": EMAIL,
        "first_name": FIRST_NAME,
        "last_name": LAST_NAME,
        "phone": PHONE,
        "description": "Lampu penerangan jalan di Jalan Asia Afrika Kota Bandung mati sejak "
                       "dua minggu, jalan gelap dan rawan kecelakaan pada malam hari.",
        "attribute[title]": "Lampu jalan mati di Jalan Asia Afrika",
        "attribute[region_code]": "32.73",
        "attribute[category]": "infrastruktur/penerangan-jalan",
    }
    status, content_type, body = post_request(base, "json", {**fields, "api_key": "lapor311_bukan-kunci"})
    errors = json.loads(body)
    check(status == 403 and errors[0]["code"] == 403 and errors[0]["description"],
          f"POST requests.json with a wrong api_key: 403 {errors}")
    status, content_type, body = post_request(base, "xml", {k: v for k, v in fields.items() if k != "api_key"})
    parsed = xmltodict.parse(body)
    check(status == 403 and parsed["errors"]["error"]["code"] == "403",
          "POST requests.xml without api_key: 403 as <errors><error>")
    status, content_type, body = post_request(base, "json", {**fields, "service_code": "pothole"})
    check(status == 400 and "service_code" in json.loads(body)[0]["description"],
          "POST requests.json with an unknown service_code: 400 naming it")

    status, content_type, body = post_request(base, "json", fields)
    check(status == 200 and content_type.startswith("application/json"), f"POST requests.json: {status}")
    created = json.loads(body)
    check(len(created) == 1 and created[0]["service_request_id"] and created[0]["token"],
          f"POST requests.json answers a service_request_id: {created}")
    no_identity(body.decode(), "the POST answer")
    first_id = created[0]["service_request_id"]
    status, content_type, body = post_request(base, "xml", fields)
    check(status == 200 and content_type.startswith("text/xml"), f"POST requests.xml: {status}")
    second_id = xmltodict.parse(body)["service_requests"]["request"]["service_request_id"]
    check(second_id and second_id != first_id, "POST requests.xml answers another service_request_id")

    # ---- GET requests/{id}: open, then routed to Kota Bandung
    deadline = time.time() + ROUTED_WITHIN
    while True:
        one = as_json.get_service_request(first_id)
        if one.get("agency_responsible") or time.time() > deadline:
            break
        time.sleep(0.5)
    check(one["service_request_id"] == first_id and one["status"] == "open",
          f"requests/{first_id}.json: open ({one['status']})")
    check(one["agency_responsible"] and "Bandung" in one["agency_responsible"],
          f"requests/{first_id}.json: routed, agency_responsible {one['agency_responsible']!r}")
    check(one["service_code"] == "complaint" and "Asia Afrika" in one["description"]
          and one["lat"] == -6.9175 and one["long"] == 107.6191 and one["requested_datetime"]
          and one["expected_datetime"],
          "requests/{id}.json carries the specification's fields")
    one_xml = as_xml.get_service_request(first_id)
    check(one_xml["service_request_id"] == first_id and one_xml["status"] == "open"
          and one_xml["agency_responsible"] == one["agency_responsible"],
          "requests/{id}.xml: the same request")

    # ---- GET requests: the public feed, filtered
    listed = as_json.get_service_requests()
    check(first_id in [r["service_request_id"] for r in listed], "requests.json lists the routed request")
    no_identity(json.dumps(listed), "requests.json")
    only_open = as_json.get_service_requests(service_code="complaint", status="open")
    check(all(r["status"] == "open" and r["service_code"] == "complaint" for r in only_open)
          and first_id in [r["service_request_id"] for r in only_open],
          "requests.json?service_code=complaint&status=open")
    closed = as_json.get_service_requests(status="closed")
    check(first_id not in [r["service_request_id"] for r in closed], "requests.json?status=closed leaves it out")
    by_id = as_json.get_service_requests(service_request_id=f"{first_id},{second_id}")
    check({r["service_request_id"] for r in by_id} == {first_id, second_id},
          "requests.json?service_request_id=a,b answers both")
    listed_xml = as_xml.get_service_requests(service_request_id=first_id)
    check(listed_xml["service_request_id"] == first_id, "requests.xml?service_request_id=...")

    # ---- GET tokens/{token}
    with urllib.request.urlopen(f"{base}/tokens/{created[0]['token']}.json", timeout=30) as response:
        token = json.loads(response.read())
    check(token == [{"service_request_id": first_id, "token": first_id}], f"tokens/{{token}}.json: {token}")

    # ---- GET discovery
    with urllib.request.urlopen(f"{base}/discovery.json", timeout=30) as response:
        discovery = json.loads(response.read())
    check(discovery["endpoints"][0]["url"] == base
          and "text/xml" in discovery["endpoints"][0]["formats"], f"discovery.json: {discovery['endpoints']}")

    # ---- unknown ids: 404 as the specification's errors
    try:
        as_json.get_service_request("ZZZZZZZZZZ")
        check(False, "requests/ZZZZZZZZZZ.json must be a 404")
    except Exception as error:  # requests.HTTPError from raise_for_status
        response = error.response
        check(response.status_code == 404 and response.json()[0]["code"] == 404,
              "requests/{unknown}.json: 404 [{code, description}]")
    print("georeport: all checks passed")


if __name__ == "__main__":
    main()
