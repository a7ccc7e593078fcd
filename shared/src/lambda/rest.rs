//! Requests through an API Gateway **REST** API (payload 1.0), the LocalStack deployment's API:
//! LocalStack's community edition does not serve HTTP APIs (`infra/localstack/`). The handlers
//! read both payloads alike (`http::route_key`, `http::path_parameter`); what a REST API lacks is
//! the HTTP API's JWT authorizer, so on that path the agency function checks staff tokens itself,
//! before its handler, and puts the claims where the authorizer would.

use crate::auth::jwt_authorizer;
use crate::staff_tokens::SharedKeyTokens;
use chrono::{DateTime, Utc};
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};

/// Plays the JWT authorizer for REST API requests: HS256 staff tokens with the deployment's
/// shared key (`STAFF_TOKEN_KEY_SECRET_ID`). Without a key, a REST request carries no staff
/// claims and the staff routes answer 401.
pub struct RestAuthorizer {
    tokens: Option<SharedKeyTokens>,
}

impl RestAuthorizer {
    pub fn new(tokens: Option<SharedKeyTokens>) -> RestAuthorizer {
        RestAuthorizer { tokens }
    }

    /// `req` as the handler should see it. An HTTP API request (payload 2.0) passes unchanged:
    /// its authorizer already ran. A REST request loses whatever authorizer data it came with
    /// and gains the claims of its `Authorization: Bearer` token when that token verifies.
    pub fn admit(&self, req: Request, now: DateTime<Utc>) -> Request {
        let Some(RequestContext::ApiGatewayV1(mut context)) = req.request_context_ref().cloned()
        else {
            return req;
        };
        let claims = self.tokens.as_ref().and_then(|tokens| {
            let token = crate::lambda::http::bearer_token(&req)?;
            match tokens.verify_claim_map(token, now) {
                Ok(claims) => Some(claims),
                Err(e) => {
                    // For the logs only: the function answers a bare 401.
                    tracing::info!(reason = %e, "REST request's staff token refused");
                    None
                }
            }
        });
        context.authorizer = match claims {
            Some(claims) => jwt_authorizer(claims),
            None => Default::default(),
        };
        req.with_request_context(RequestContext::ApiGatewayV1(context))
    }
}
