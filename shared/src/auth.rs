//! Who an officer or verifier is, from the claims of their JWT.
//!
//! In AWS the HTTP API's JWT authorizer (`OfficerJwt` in template.yaml) checks the token's
//! signature, issuer, audience and expiry, and hands the function the token's claims as a map of
//! strings in `requestContext.authorizer.jwt.claims`. It knows nothing of roles, so the functions
//! build [`StaffClaims`] from that map here and enforce authorisation themselves.
//!
//! Nothing here checks a token: locally the runner plays the authorizer (`lapor-local`'s
//! `tokens` module mints and checks HS256 tokens with a key in the data dir) and injects the
//! verified claims where API Gateway would (`jwt_authorizer`, with the `lambda` feature).

use std::collections::HashMap;

/// The template's authorizer for the staff routes.
pub const OFFICER_AUTHORIZER: &str = "OfficerJwt";

/// Claim names in the token (and so in the authorizer's claim map). The staff attributes are
/// Cognito custom attributes, which Cognito names `custom:<attribute>` in its ID tokens.
pub mod claim {
    pub const SUB: &str = "sub";
    pub const ROLE: &str = "custom:role";
    pub const AGENCY_ID: &str = "custom:agency_id";
    pub const ISS: &str = "iss";
    pub const AUD: &str = "aud";
    pub const EXP: &str = "exp";
    pub const IAT: &str = "iat";
}

/// Longest `sub` and agency id accepted: both end up stored on report timelines.
const MAX_ID_CHARS: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No token (locally) or no authorizer claims on the request (in AWS: a route without the
    /// authorizer, or a test event without claims).
    #[error("no access token")]
    Missing,
    #[error("the access token has no usable {0} claim")]
    MissingClaim(&'static str),
    #[error("unknown staff role {0:?}")]
    UnknownRole(String),
    #[error("an officer's token must name the officer's agency")]
    OfficerWithoutAgency,
    /// Verifiers work nationally; an agency on their token means the account is set up wrong,
    /// and guessing which of the two was meant could widen or narrow their access.
    #[error("a verifier's token must not name an agency")]
    VerifierWithAgency,
}

impl From<AuthError> for crate::error::ServiceError {
    /// The client learns no more than "unauthorized"; the reason is logged where the claims are
    /// read (`staff_from_request`).
    fn from(_: AuthError) -> crate::error::ServiceError {
        crate::error::ServiceError::Unauthorized
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StaffRole {
    /// Works one agency's reports.
    Officer,
    /// National triage: assigns reports that routing could not place.
    Verifier,
}

impl StaffRole {
    pub fn as_str(self) -> &'static str {
        match self {
            StaffRole::Officer => "officer",
            StaffRole::Verifier => "verifier",
        }
    }

    pub fn parse(value: &str) -> Option<StaffRole> {
        match value {
            "officer" => Some(StaffRole::Officer),
            "verifier" => Some(StaffRole::Verifier),
            _ => None,
        }
    }
}

impl std::fmt::Display for StaffRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A member of staff as their token says. Built only through [`StaffClaims::new`] or
/// [`claims_from_authorizer`], which enforce: an officer has an agency, a verifier has none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffClaims {
    /// The staff id (the identity provider's subject).
    pub sub: String,
    pub role: StaffRole,
    pub agency_id: Option<String>,
}

impl StaffClaims {
    pub fn new(
        sub: impl Into<String>,
        role: StaffRole,
        agency_id: Option<String>,
    ) -> Result<StaffClaims, AuthError> {
        let sub = sub.into();
        if sub.trim().is_empty() || sub.chars().count() > MAX_ID_CHARS {
            return Err(AuthError::MissingClaim(claim::SUB));
        }
        // An empty attribute is how an identity provider says "not set".
        let agency_id = agency_id.filter(|a| !a.trim().is_empty());
        if agency_id
            .as_ref()
            .is_some_and(|a| a.chars().count() > MAX_ID_CHARS)
        {
            return Err(AuthError::MissingClaim(claim::AGENCY_ID));
        }
        match (role, &agency_id) {
            (StaffRole::Officer, None) => Err(AuthError::OfficerWithoutAgency),
            (StaffRole::Verifier, Some(_)) => Err(AuthError::VerifierWithAgency),
            _ => Ok(StaffClaims {
                sub,
                role,
                agency_id,
            }),
        }
    }

    /// The member of staff as the lifecycle and the timeline know them: an officer of their
    /// institution, or a national verifier. The one mapping from claims to an actor, for the
    /// JSON API and the web pages alike.
    pub fn actor(&self) -> crate::domain::Actor {
        use crate::domain::Actor;
        match (self.role, &self.agency_id) {
            (StaffRole::Officer, Some(agency_id)) => Actor::Officer {
                agency_id: agency_id.clone(),
                officer_id: Some(self.sub.clone()),
            },
            // National verifiers; an officer without an agency is never built (`new` refuses).
            _ => Actor::Verifier {
                officer_id: Some(self.sub.clone()),
            },
        }
    }

    /// The staff claims as the authorizer's map carries them (for tests and the local runner).
    pub fn to_claim_map(&self) -> HashMap<String, String> {
        let mut map = HashMap::from([
            (claim::SUB.to_string(), self.sub.clone()),
            (claim::ROLE.to_string(), self.role.as_str().to_string()),
        ]);
        if let Some(agency) = &self.agency_id {
            map.insert(claim::AGENCY_ID.to_string(), agency.clone());
        }
        map
    }
}

/// The staff member from API Gateway's JWT authorizer claims (`requestContext.authorizer.jwt.
/// claims`). The authorizer has checked the token; this checks what it cannot: the role.
pub fn claims_from_authorizer(map: &HashMap<String, String>) -> Result<StaffClaims, AuthError> {
    let sub = map
        .get(claim::SUB)
        .ok_or(AuthError::MissingClaim(claim::SUB))?;
    let role = map
        .get(claim::ROLE)
        .ok_or(AuthError::MissingClaim(claim::ROLE))?;
    let role = StaffRole::parse(role).ok_or_else(|| AuthError::UnknownRole(role.clone()))?;
    StaffClaims::new(sub.clone(), role, map.get(claim::AGENCY_ID).cloned())
}

/// The staff member behind a request that came through the `OfficerJwt` authorizer.
#[cfg(feature = "lambda")]
pub fn staff_from_request(req: &lambda_http::Request) -> Result<StaffClaims, AuthError> {
    use lambda_http::request::RequestContext;
    use lambda_http::RequestExt;
    let claims = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx
            .authorizer
            .as_ref()
            .and_then(|a| a.jwt.as_ref())
            .map(|jwt| &jwt.claims),
        // A REST API has no JWT authorizer: `lambda::rest::RestAuthorizer` checked the token
        // and put its claims here, as the HTTP API's authorizer does.
        Some(RequestContext::ApiGatewayV1(ctx)) => {
            ctx.authorizer.jwt.as_ref().map(|jwt| &jwt.claims)
        }
        _ => None,
    };
    let read = match claims {
        Some(claims) if !claims.is_empty() => claims_from_authorizer(claims),
        _ => Err(AuthError::Missing),
    };
    if let Err(e) = &read {
        // For the logs only: the client learns no more than "unauthorized".
        tracing::info!(reason = %e, "staff request refused");
    }
    read
}

/// The request context's authorizer as API Gateway fills it for a JWT authorizer.
#[cfg(feature = "lambda")]
pub fn jwt_authorizer(
    claims: HashMap<String, String>,
) -> lambda_http::aws_lambda_events::apigw::ApiGatewayRequestAuthorizer {
    use lambda_http::aws_lambda_events::apigw::{
        ApiGatewayRequestAuthorizer, ApiGatewayRequestAuthorizerJwtDescription,
    };
    let mut jwt = ApiGatewayRequestAuthorizerJwtDescription::default();
    jwt.claims = claims;
    jwt.scopes = None;
    let mut authorizer = ApiGatewayRequestAuthorizer::default();
    authorizer.jwt = Some(jwt);
    authorizer
}

#[cfg(test)]
mod tests {
    use super::*;

    fn officer() -> StaffClaims {
        StaffClaims::new("staff-42", StaffRole::Officer, Some("komdigi".into())).unwrap()
    }

    #[test]
    fn an_officer_without_an_agency_is_refused() {
        assert_eq!(
            StaffClaims::new("staff-42", StaffRole::Officer, None),
            Err(AuthError::OfficerWithoutAgency)
        );
        assert_eq!(
            StaffClaims::new("staff-42", StaffRole::Officer, Some(" ".into())),
            Err(AuthError::OfficerWithoutAgency)
        );
        // Nor from the authorizer's claims.
        assert_eq!(
            claims_from_authorizer(&HashMap::from([
                ("sub".to_string(), "staff-42".to_string()),
                ("custom:role".to_string(), "officer".to_string()),
            ])),
            Err(AuthError::OfficerWithoutAgency)
        );
    }

    #[test]
    fn authorizer_claim_maps_are_parsed() {
        let map = |pairs: &[(&str, &str)]| -> HashMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        assert_eq!(
            claims_from_authorizer(&map(&[
                ("sub", "staff-42"),
                ("custom:role", "officer"),
                ("custom:agency_id", "komdigi"),
                ("exp", "1740816000"),
                ("iss", "https://cognito-idp.example/pool"),
            ])),
            Ok(officer())
        );
        assert_eq!(
            claims_from_authorizer(&map(&[("sub", "v-1"), ("custom:role", "verifier")])),
            Ok(StaffClaims {
                sub: "v-1".into(),
                role: StaffRole::Verifier,
                agency_id: None
            })
        );
        // Cognito sends an unset attribute as an empty string.
        assert_eq!(
            claims_from_authorizer(&map(&[
                ("sub", "v-1"),
                ("custom:role", "verifier"),
                ("custom:agency_id", "")
            ]))
            .map(|c| c.agency_id),
            Ok(None)
        );
        assert_eq!(
            claims_from_authorizer(&map(&[
                ("sub", "v-1"),
                ("custom:role", "verifier"),
                ("custom:agency_id", "komdigi")
            ])),
            Err(AuthError::VerifierWithAgency)
        );
        assert_eq!(
            claims_from_authorizer(&map(&[("custom:role", "officer")])),
            Err(AuthError::MissingClaim("sub"))
        );
        assert_eq!(
            claims_from_authorizer(&map(&[("sub", ""), ("custom:role", "verifier")])),
            Err(AuthError::MissingClaim("sub"))
        );
        assert_eq!(
            claims_from_authorizer(&map(&[("sub", "staff-42")])),
            Err(AuthError::MissingClaim("custom:role"))
        );
        assert_eq!(
            claims_from_authorizer(&map(&[("sub", "staff-42"), ("custom:role", "admin")])),
            Err(AuthError::UnknownRole("admin".into()))
        );
        assert_eq!(
            claims_from_authorizer(&map(&[
                ("sub", "staff-42"),
                ("custom:role", "officer"),
                ("custom:agency_id", "komdigi"),
            ])),
            claims_from_authorizer(&officer().to_claim_map())
        );
    }

    #[test]
    fn auth_errors_answer_401() {
        let e: crate::error::ServiceError = AuthError::Missing.into();
        assert_eq!(crate::api::http_status(&e), 401);
        assert_eq!(crate::api::error_body(&e)["error"], "unauthorized");
    }

    #[cfg(feature = "lambda")]
    #[test]
    fn staff_are_read_from_the_request_context() {
        use lambda_http::aws_lambda_events::apigw::{
            ApiGatewayV2httpRequest, ApiGatewayV2httpRequestContext,
        };
        use lambda_http::request::LambdaRequest;
        let request = |authorizer| -> lambda_http::Request {
            let mut context = ApiGatewayV2httpRequestContext::default();
            context.authorizer = authorizer;
            let mut event = ApiGatewayV2httpRequest::default();
            event.request_context = context;
            LambdaRequest::ApiGatewayV2(event).into()
        };
        assert_eq!(
            staff_from_request(&request(Some(jwt_authorizer(officer().to_claim_map())))),
            Ok(officer())
        );
        assert_eq!(staff_from_request(&request(None)), Err(AuthError::Missing));
        assert_eq!(
            staff_from_request(&request(Some(jwt_authorizer(HashMap::new())))),
            Err(AuthError::Missing)
        );
        assert_eq!(
            staff_from_request(&lambda_http::Request::default()),
            Err(AuthError::Missing)
        );
    }
}
