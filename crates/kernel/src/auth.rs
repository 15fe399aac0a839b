//! Who is calling: access tokens and the [`Principal`] they prove.
//!
//! Access tokens are HS256 JWTs verified without a database round trip. The
//! algorithm is pinned (a token claiming `none` or an asymmetric algorithm is
//! refused before its signature is looked at), issuer and audience must match,
//! and expiry is judged by our [`Clock`] so tests can move time.

use std::{fmt, sync::Arc};

use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::{
    clock::SharedClock,
    id::{SessionId, UserId},
};

/// Global (not per-organization) roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, poem_openapi::Enum)]
#[serde(rename_all = "snake_case")]
#[oai(rename_all = "snake_case")]
pub enum Role {
    /// Works in the internal control center.
    Staff,
    /// Staff who may also change other staff and runtime settings.
    Admin,
}

impl Role {
    /// The role's name in tokens and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Staff => "staff",
            Self::Admin => "admin",
        }
    }

    /// Parses a role name; unknown names are `None` so old tokens keep working.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "staff" => Some(Self::Staff),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }
}

/// The authenticated caller of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The user.
    pub user_id: UserId,
    /// The session (refresh-token family) the access token was issued to.
    pub session_id: SessionId,
    /// Global roles.
    pub roles: Vec<Role>,
    /// True for anonymous users who have not attached an email yet.
    pub anonymous: bool,
}

impl Principal {
    /// True if the caller holds `role` (admins hold every staff right).
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role) || (role == Role::Staff && self.roles.contains(&Role::Admin))
    }
}

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: UserId,
    /// The session id.
    pub sid: SessionId,
    /// Global role names.
    #[serde(default)]
    pub roles: Vec<String>,
    /// Anonymous user.
    #[serde(default)]
    pub anon: bool,
    /// Issued at (seconds since the epoch).
    pub iat: i64,
    /// Expires at (seconds since the epoch).
    pub exp: i64,
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
}

/// Why a token was refused. Deliberately coarse: clients learn only "sign in again".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Signature, algorithm, issuer, audience or shape is wrong.
    #[error("the access token is not valid")]
    Invalid,
    /// The token was valid but has expired.
    #[error("the access token has expired")]
    Expired,
}

/// Settings for access tokens.
#[derive(Clone)]
pub struct TokenSettings {
    /// The HS256 key; at least 32 bytes.
    pub secret: Vec<u8>,
    /// `iss` claim.
    pub issuer: String,
    /// `aud` claim.
    pub audience: String,
    /// Access token lifetime.
    pub access_ttl: Duration,
}

impl fmt::Debug for TokenSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSettings")
            .field("secret", &"<redacted>")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("access_ttl", &self.access_ttl)
            .finish()
    }
}

/// The shortest signing key we accept (RFC 7518 §3.2: at least the hash size).
pub const MIN_SECRET_BYTES: usize = 32;

/// Issues and verifies access tokens.
#[derive(Clone)]
pub struct TokenCodec {
    inner: Arc<CodecInner>,
}

struct CodecInner {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    settings: TokenSettings,
    clock: SharedClock,
}

impl fmt::Debug for TokenCodec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCodec")
            .field("settings", &self.inner.settings)
            .finish()
    }
}

/// An issued access token.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    /// The compact JWT.
    pub token: String,
    /// Seconds until it expires.
    pub expires_in: i64,
}

impl TokenCodec {
    /// Builds a codec. The secret's length is checked by configuration.
    pub fn new(settings: TokenSettings, clock: SharedClock) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.set_issuer(&[&settings.issuer]);
        validation.set_audience(&[&settings.audience]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        // Expiry is checked against our Clock below, so tests can move time.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        Self {
            inner: Arc::new(CodecInner {
                encoding: EncodingKey::from_secret(&settings.secret),
                decoding: DecodingKey::from_secret(&settings.secret),
                validation,
                settings,
                clock,
            }),
        }
    }

    /// Signs an access token for a session.
    pub fn issue(
        &self,
        user_id: UserId,
        session_id: SessionId,
        roles: &[Role],
        anonymous: bool,
    ) -> Result<IssuedToken, jsonwebtoken::errors::Error> {
        let now = self.inner.clock.now();
        let ttl = self.inner.settings.access_ttl;
        let claims = Claims {
            sub: user_id,
            sid: session_id,
            roles: roles.iter().map(|r| r.as_str().to_string()).collect(),
            anon: anonymous,
            iat: now.timestamp(),
            exp: (now + ttl).timestamp(),
            iss: self.inner.settings.issuer.clone(),
            aud: self.inner.settings.audience.clone(),
        };
        self.sign(&claims).map(|token| IssuedToken {
            token,
            expires_in: ttl.num_seconds(),
        })
    }

    /// Signs arbitrary claims (tests use this to forge expired or foreign tokens).
    pub fn sign(&self, claims: &Claims) -> Result<String, jsonwebtoken::errors::Error> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.inner.encoding)
    }

    /// Verifies a token and returns who it proves.
    pub fn verify(&self, token: &str) -> Result<Principal, TokenError> {
        self.verify_with_expiry(token)
            .map(|(principal, _)| principal)
    }

    /// Verifies a token and returns who it proves and when it stops proving
    /// it (what a long-lived connection needs to know).
    pub fn verify_with_expiry(
        &self,
        token: &str,
    ) -> Result<(Principal, DateTime<Utc>), TokenError> {
        let data =
            jsonwebtoken::decode::<Claims>(token, &self.inner.decoding, &self.inner.validation)
                .map_err(|_| TokenError::Invalid)?;
        let claims = data.claims;
        if claims.exp <= self.inner.clock.now().timestamp() {
            return Err(TokenError::Expired);
        }
        let expires_at = DateTime::from_timestamp(claims.exp, 0).ok_or(TokenError::Invalid)?;
        let principal = Principal {
            user_id: claims.sub,
            session_id: claims.sid,
            roles: claims.roles.iter().filter_map(|r| Role::parse(r)).collect(),
            anonymous: claims.anon,
        };
        Ok((principal, expires_at))
    }

    /// The access token lifetime.
    pub fn access_ttl(&self) -> Duration {
        self.inner.settings.access_ttl
    }
}

#[cfg(test)]
mod tests {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

    use super::*;
    use crate::clock::{Clock, ManualClock};

    fn settings(secret: &[u8]) -> TokenSettings {
        TokenSettings {
            secret: secret.to_vec(),
            issuer: "trellis".into(),
            audience: "trellis-api".into(),
            access_ttl: Duration::minutes(15),
        }
    }

    fn codec(clock: &ManualClock) -> TokenCodec {
        TokenCodec::new(settings(&[7; 32]), Arc::new(clock.clone()))
    }

    fn clock() -> ManualClock {
        ManualClock::at(chrono::DateTime::UNIX_EPOCH + Duration::days(20_000))
    }

    #[test]
    fn issued_token_verifies_to_its_principal() {
        let clock = clock();
        let codec = codec(&clock);
        let (user, session) = (UserId::new(), SessionId::new());
        let issued = codec.issue(user, session, &[Role::Staff], false);
        let principal = issued.map(|t| codec.verify(&t.token));
        assert_eq!(
            principal.ok(),
            Some(Ok(Principal {
                user_id: user,
                session_id: session,
                roles: vec![Role::Staff],
                anonymous: false,
            }))
        );
    }

    #[test]
    fn expired_token_is_refused() {
        let clock = clock();
        let codec = codec(&clock);
        let token = codec
            .issue(UserId::new(), SessionId::new(), &[], false)
            .map(|t| t.token)
            .unwrap_or_default();
        clock.advance(Duration::minutes(15));
        assert_eq!(codec.verify(&token), Err(TokenError::Expired));
    }

    #[test]
    fn wrong_key_issuer_or_audience_is_refused() {
        let clock = clock();
        let codec = codec(&clock);
        let other_key = TokenCodec::new(settings(&[8; 32]), Arc::new(clock.clone()));
        let token = other_key
            .issue(UserId::new(), SessionId::new(), &[], false)
            .map(|t| t.token)
            .unwrap_or_default();
        assert_eq!(codec.verify(&token), Err(TokenError::Invalid));

        let now = clock.now().timestamp();
        let mut claims = Claims {
            sub: UserId::new(),
            sid: SessionId::new(),
            roles: vec![],
            anon: false,
            iat: now,
            exp: now + 60,
            iss: "someone-else".into(),
            aud: "trellis-api".into(),
        };
        let bad_iss = codec.sign(&claims).unwrap_or_default();
        assert_eq!(codec.verify(&bad_iss), Err(TokenError::Invalid));
        claims.iss = "trellis".into();
        claims.aud = "another-api".into();
        let bad_aud = codec.sign(&claims).unwrap_or_default();
        assert_eq!(codec.verify(&bad_aud), Err(TokenError::Invalid));
    }

    #[test]
    fn alg_none_and_tampered_tokens_are_refused() {
        let clock = clock();
        let codec = codec(&clock);
        let token = codec
            .issue(UserId::new(), SessionId::new(), &[], false)
            .map(|t| t.token)
            .unwrap_or_default();
        let mut parts = token.split('.');
        let (_header, payload) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));

        let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        assert_eq!(
            codec.verify(&format!("{none_header}.{payload}.")),
            Err(TokenError::Invalid)
        );
        let hs512 = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS512","typ":"JWT"}"#);
        assert_eq!(
            codec.verify(&format!("{hs512}.{payload}.c2ln")),
            Err(TokenError::Invalid)
        );

        let mut tampered = token.clone();
        tampered.push('x');
        assert_eq!(codec.verify(&tampered), Err(TokenError::Invalid));
        assert_eq!(codec.verify("not.a.jwt"), Err(TokenError::Invalid));
    }

    #[test]
    fn admins_hold_staff_rights() {
        let p = Principal {
            user_id: UserId::new(),
            session_id: SessionId::new(),
            roles: vec![Role::Admin],
            anonymous: false,
        };
        assert!(p.has_role(Role::Staff));
        assert!(p.has_role(Role::Admin));
    }

    #[test]
    fn serde_writes_roles_as_to_json_does() {
        crate::testing::assert_same_json(&vec![Role::Staff, Role::Admin]);
    }
}
