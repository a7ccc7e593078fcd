//! The local runner's stand-in for the staff identity provider: HS256 tokens signed with a key
//! kept in the data dir (`officer-signing.key`). `mint-token` signs them; the gateway checks
//! them the way API Gateway's JWT authorizer checks the provider's tokens in AWS. The code is
//! the shared crate's, which the LocalStack deployment's agency function also uses.

pub use lapor::staff_tokens::{
    SharedKeyTokens as LocalSigner, TokenError, MAX_TOKEN_BYTES, MIN_KEY_BYTES,
};
