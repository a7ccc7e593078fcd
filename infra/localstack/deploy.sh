#!/usr/bin/env bash
# Builds the functions and deploys LAPOR to LocalStack (the community edition is enough), then
# prints the API URL.
#
#   infra/localstack/deploy.sh
#
# LocalStack's community edition serves REST APIs but not HTTP APIs, so what is deployed is
# template.yaml's REST variant (`lapor-local rest-template`): the same functions, tables, queues
# and routes, on a REST API without a JWT authorizer; the agency function checks staff tokens
# itself with a key this script puts in Secrets Manager (mint tokens with
# `lapor-local mint-token --data-dir .lapor-localstack ...`).
#
# Steps (each says what it does):
#   1. LocalStack: uses the one answering on $LOCALSTACK_ENDPOINT; if none does, starts
#      infra/localstack/docker-compose.yml and waits for it.
#   2. build: infra/scripts/sam-build.sh for this host's architecture (uname -m), because
#      LocalStack runs each function in a container of the host's architecture; lapor-local
#      (release) writes the REST variant of the built template.
#   3. the secrets the functions read at cold start, each created only if missing:
#      - the PII key (<PiiKeySecretName>): 32 random bytes, base64;
#      - the channels' credentials (<ChannelSecretsName>, a JSON object): every key `-`, so every
#        channel is disabled (webhooks answer 404, the notifier sends nothing and dead-letters
#        notices with an address); put real values in it to enable a channel;
#      - the staff token key (<StaffTokenKeySecretName>): the key of .lapor-localstack/
#        officer-signing.key, so that `lapor-local mint-token --data-dir .lapor-localstack` mints
#        tokens the stack accepts.
#   4. sam deploy to LocalStack (AWS_ENDPOINT_URL), stack $STACK_NAME.
#   5. seed: `lapor-local seed --backend aws` publishes the directory into the stack's table.
#   6. prints the stack outputs and the API URL.
#
# env:
#   LOCALSTACK_ENDPOINT  default http://localhost:4566
#   LOCALSTACK_VERSION, LOCALSTACK_AUTH_TOKEN   passed to docker compose (see docker-compose.yml)
#   STACK_NAME           default lapor-local (stacks of different names can share one LocalStack)
#   STAGE                default dev (the template's Stage parameter)
#   AWS_REGION           default ap-southeast-3
#   QUEUE_CONSUMERS      default enabled; `disabled` leaves the queues to
#                        `lapor-local --backend aws` (QueueConsumers parameter): never both
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT"

ENDPOINT=${LOCALSTACK_ENDPOINT:-http://localhost:4566}
STACK_NAME=${STACK_NAME:-lapor-local}
STAGE=${STAGE:-dev}
REGION=${AWS_REGION:-ap-southeast-3}
SECRET_NAME=lapor/$STAGE/pii-key
CHANNEL_SECRETS_NAME=lapor/$STAGE/channels
STAFF_TOKEN_KEY_NAME=lapor/$STAGE/staff-token-key
QUEUE_CONSUMERS=${QUEUE_CONSUMERS:-enabled}
LOCAL_DATA=$ROOT/.lapor-localstack
TOOLS=$ROOT/.cache/test-servers/venv/bin # sam, boto3 (installed by sam-build.sh)

say() { printf '[deploy] %s\n' "$*" >&2; }
die() {
  printf '[deploy] ERROR: %s\n' "$*" >&2
  exit 1
}

case $(uname -m) in
x86_64 | amd64) ARCH=x86_64 ;;
aarch64 | arm64) ARCH=arm64 ;;
*) die "unsupported host architecture $(uname -m): LocalStack runs Lambda on x86_64 or arm64" ;;
esac

healthy() { python3 - "$ENDPOINT" <<'PY'
import sys, urllib.request
try:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(sys.argv[1] + "/_localstack/health", timeout=3) as r:
        sys.exit(0 if r.status == 200 else 1)
except Exception:
    sys.exit(1)
PY
}

# ---- 1. LocalStack -------------------------------------------------------------
if healthy; then
  say "LocalStack answers on $ENDPOINT"
else
  # The compose plugin (docker compose) or the older standalone docker-compose.
  if docker compose version >/dev/null 2>&1; then
    compose=(docker compose)
  elif command -v docker-compose >/dev/null 2>&1; then
    compose=(docker-compose)
  else
    die "no LocalStack on $ENDPOINT, and neither docker compose nor docker-compose to start one"
  fi
  say "starting LocalStack (infra/localstack/docker-compose.yml, image ${LOCALSTACK_VERSION:-4.14.0})"
  "${compose[@]}" -f "$HERE/docker-compose.yml" up -d ||
    die "${compose[*]} up failed (${compose[*]} -f infra/localstack/docker-compose.yml logs)"
  for _ in $(seq 60); do
    if healthy; then break; fi
    sleep 2
  done
  healthy || die "LocalStack did not become healthy on $ENDPOINT"
fi

# ---- 2. build --------------------------------------------------------------------
say "building for $ARCH (host $(uname -m))"
"$ROOT/infra/scripts/sam-build.sh" "$ARCH"
BUILT=.aws-sam/build-$ARCH/template.yaml
[ -f "$BUILT" ] || die "$BUILT missing after the build"
LAPOR_LOCAL=${CARGO_TARGET_DIR:-$ROOT/target}/release/lapor-local
cargo build --release -p lapor-local || die "cannot build lapor-local"
# The community edition has no HTTP API: the same routes on a REST API.
BUILT_REST=.aws-sam/build-$ARCH/template-rest.yaml
"$LAPOR_LOCAL" rest-template --template "$BUILT" --out "$BUILT_REST" ||
  die "cannot write the REST variant of $BUILT"
# The staff token key (created on first use, owner-only), shared with mint-token.
"$LAPOR_LOCAL" mint-token --data-dir "$LOCAL_DATA" --role verifier --sub deploy-check >/dev/null ||
  die "cannot create the staff token key in $LOCAL_DATA"

# Everything below talks to LocalStack only, S3 (sam's artifact bucket) included, on the plain
# endpoint with path-style bucket addresses: s3.localhost.localstack.cloud would need public DNS.
unset AWS_PROFILE AWS_SESSION_TOKEN
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
export AWS_REGION=$REGION AWS_DEFAULT_REGION=$REGION
export AWS_ENDPOINT_URL=$ENDPOINT
export AWS_ENDPOINT_URL_S3=$ENDPOINT
AWS_CONFIG_FILE=$(mktemp)
export AWS_CONFIG_FILE
trap 'rm -f "$AWS_CONFIG_FILE"' EXIT
printf '[default]\ns3 =\n    addressing_style = path\n' >"$AWS_CONFIG_FILE"
export SAM_CLI_TELEMETRY=0
export NO_PROXY=localhost,127.0.0.1${NO_PROXY:+,$NO_PROXY}

# ---- 3. the secrets ----------------------------------------------------------------
"$TOOLS/python" - "$SECRET_NAME" "$CHANNEL_SECRETS_NAME" "$STAFF_TOKEN_KEY_NAME" \
  "$LOCAL_DATA/officer-signing.key" <<'PY'
import base64, json, os, sys, boto3
pii_name, channels_name, staff_key_name, staff_key_file = sys.argv[1:5]
sm = boto3.client("secretsmanager")

def ensure(name, value, what):
    try:
        sm.describe_secret(SecretId=name)
        print(f"[deploy] secret {name} exists", file=sys.stderr)
    except sm.exceptions.ResourceNotFoundException:
        sm.create_secret(Name=name, SecretString=value)
        print(f"[deploy] secret {name} created ({what})", file=sys.stderr)

ensure(pii_name, base64.b64encode(os.urandom(32)).decode(), "32 random bytes, base64")
# Every key the template resolves must exist; "-" leaves that channel disabled.
keys = ["sms_webhook_secret", "x_consumer_secret", "meta_app_secret", "meta_verify_token",
        "sms_api_key", "x_access_token", "messenger_page_token", "whatsapp_token"]
ensure(channels_name, json.dumps({k: "-" for k in keys}), "every channel disabled: '-'")
with open(staff_key_file) as f:
    staff_key = f.read().strip()
try:
    sm.describe_secret(SecretId=staff_key_name)
    sm.put_secret_value(SecretId=staff_key_name, SecretString=staff_key)
    print(f"[deploy] secret {staff_key_name} set from {staff_key_file}", file=sys.stderr)
except sm.exceptions.ResourceNotFoundException:
    sm.create_secret(Name=staff_key_name, SecretString=staff_key)
    print(f"[deploy] secret {staff_key_name} created from {staff_key_file}", file=sys.stderr)
PY

# ---- 4. deploy -------------------------------------------------------------------------
say "sam deploy $STACK_NAME (Stage=$STAGE Architecture=$ARCH, REST API) to $ENDPOINT"
"$TOOLS/sam" deploy --template-file "$BUILT_REST" --stack-name "$STACK_NAME" \
  --resolve-s3 --capabilities CAPABILITY_IAM \
  --no-confirm-changeset --no-fail-on-empty-changeset \
  --parameter-overrides "Stage=$STAGE" "Architecture=$ARCH" "PiiKeySecretName=$SECRET_NAME" \
  "ChannelSecretsName=$CHANNEL_SECRETS_NAME" "StaffTokenKeySecretName=$STAFF_TOKEN_KEY_NAME" \
  "QueueConsumers=$QUEUE_CONSUMERS"

OUTPUTS=$("$TOOLS/python" - "$STACK_NAME" <<'PY'
import sys, boto3
stack = boto3.client("cloudformation").describe_stacks(StackName=sys.argv[1])["Stacks"][0]
for o in stack.get("Outputs", []):
    print(f"{o['OutputKey']}={o['OutputValue']}")
PY
)
output() { printf '%s\n' "$OUTPUTS" | sed -n "s/^$1=//p"; }

# ---- 5. seed (LOCALSTACK-SEED) --------------------------------------------------------------
# Publishes the directory into the stack's agencies table with `lapor-local seed --backend aws`,
# the table and queue names from the stack's outputs, as the functions get them.
say "publishing the directory with lapor-local seed"
REPORTS_TABLE=$(output ReportsTableName) IDEMPOTENCY_TABLE=$(output IdempotencyTableName) \
  STATS_TABLE=$(output StatsTableName) \
  AGENCIES_TABLE=$(output AgenciesTableName) \
  ROUTING_EXAMPLES_TABLE=$(output RoutingExamplesTableName) \
  ROUTING_MODELS_TABLE=$(output RoutingModelsTableName) \
  CHANNEL_STATE_TABLE=$(output ChannelStateTableName) \
  INTAKE_QUEUE_URL=$(output IntakeQueueUrl) \
  INTAKE_DEAD_LETTER_QUEUE_URL=$(output IntakeDeadLetterQueueUrl) \
  NOTIFICATION_QUEUE_URL=$(output NotificationQueueUrl) \
  NOTIFICATION_DEAD_LETTER_QUEUE_URL=$(output NotificationDeadLetterQueueUrl) \
  "$LAPOR_LOCAL" seed --backend aws --data-dir "$ROOT/.lapor-localstack" ||
  die "lapor-local seed failed"

# ---- 6. outputs -------------------------------------------------------------------------------
printf '%s\n' "$OUTPUTS" | sed 's/^/[deploy]   /' >&2
API_ID=$(output ApiId)
[ -n "$API_ID" ] || die "the stack has no ApiId output"
"$TOOLS/python" -c 'import sys, boto3; boto3.client("apigateway").get_rest_api(restApiId=sys.argv[1])' "$API_ID" ||
  die "LocalStack does not serve the REST API $API_ID"
say "staff tokens: $LAPOR_LOCAL mint-token --data-dir $LOCAL_DATA --role officer --agency ID --sub NAME"
if [ "$QUEUE_CONSUMERS" = enabled ]; then
  say "the stack's router and notifier consume its queues: do not also run lapor-local serve --backend aws on them"
fi
# Path style: needs no DNS (the <id>.execute-api.localhost.localstack.cloud form needs public DNS).
echo "$ENDPOINT/restapis/$API_ID/$STAGE/_user_request_"
