//! Single sign-on with OpenID Connect: the authorization code flow with PKCE, state and nonce, and
//! an ID token whose signature and claims the `openidconnect` crate verifies. The provider's
//! settings come from its discovery document, fetched when first needed and kept for ten minutes, so
//! Debrief starts (and signs people in with passwords) while the provider is down.

use super::accounts::{self, Client as Browser, Identity};
use crate::domain::sso::{SsoProblem, SsoRules};
use crate::domain::User;
use crate::error::{internal, AppResult};
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreErrorResponseType, CoreGenderClaim, CoreJsonWebKey,
    CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm, CoreProviderMetadata, CoreRevocableToken,
    CoreRevocationErrorResponse, CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AdditionalClaims, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EmptyExtraTokenFields, EndpointMaybeSet,
    EndpointNotSet, EndpointSet, IdTokenFields, IssuerUrl, Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl,
    RequestTokenError, Scope, StandardErrorResponse, StandardTokenResponse, TokenResponse,
};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;
use tower_sessions::Session;

/// Every other claim of the ID token, so the operator's groups claim can be read.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct OtherClaims(serde_json::Map<String, serde_json::Value>);
impl AdditionalClaims for OtherClaims {}

type IdFields = IdTokenFields<
    OtherClaims,
    EmptyExtraTokenFields,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;
type Tokens = StandardTokenResponse<IdFields, CoreTokenType>;
type OidcClient = openidconnect::Client<
    OtherClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    Tokens,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// How the provider is reached, from the environment (see the README's *Configuration*).
#[derive(Clone)]
pub struct SsoConfig {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// The button's words on the sign-in page.
    pub label: String,
    /// Where the provider sends the browser back: `<public URL>/sso/callback`.
    pub redirect_url: String,
    pub rules: SsoRules,
}

impl std::fmt::Debug for SsoConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the client secret.
        f.debug_struct("SsoConfig").field("issuer", &self.issuer).field("client_id", &self.client_id).finish()
    }
}

/// What this browser's sign-in started with, kept in its session until the provider sends it back.
#[derive(Serialize, Deserialize)]
struct Flow {
    state: String,
    nonce: String,
    pkce_verifier: String,
    next: String,
}

const FLOW_KEY: &str = "sso_flow";
const DISCOVERY_TTL: Duration = Duration::from_secs(600);

pub struct Sso {
    config: SsoConfig,
    issuer: IssuerUrl,
    redirect: RedirectUrl,
    http: reqwest::Client,
    metadata: Mutex<Option<(Instant, CoreProviderMetadata)>>,
}

impl std::fmt::Debug for Sso {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.config.fmt(f)
    }
}

/// The provider's answer as the callback receives it.
#[derive(Debug, Default, Deserialize)]
pub struct Callback {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
}

impl Sso {
    pub fn new(config: SsoConfig) -> Result<Self, String> {
        let issuer = IssuerUrl::new(config.issuer.clone()).map_err(|e| format!("DEBRIEF_OIDC_ISSUER: {e}"))?;
        let redirect =
            RedirectUrl::new(config.redirect_url.clone()).map_err(|e| format!("the SSO redirect URL: {e}"))?;
        // No redirects: a token endpoint that redirects is refused (the library's advice, against SSRF).
        // No pooled connections: sign-ins are minutes apart, and a provider that closed an idle one
        // would fail the next code exchange.
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(0)
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| format!("the SSO HTTP client: {e}"))?;
        Ok(Sso { config, issuer, redirect, http, metadata: Mutex::new(None) })
    }

    pub fn label(&self) -> &str {
        &self.config.label
    }

    async fn client(&self) -> Result<OidcClient, SsoProblem> {
        let mut cached = self.metadata.lock().await;
        let fresh = cached.as_ref().filter(|(at, _)| at.elapsed() < DISCOVERY_TTL).map(|(_, m)| m.clone());
        let metadata = match fresh {
            Some(m) => m,
            None => {
                let m = CoreProviderMetadata::discover_async(self.issuer.clone(), &self.http).await.map_err(|e| {
                    tracing::warn!(error = %e, issuer = %self.config.issuer, "identity provider discovery failed");
                    SsoProblem::ProviderDown
                })?;
                *cached = Some((Instant::now(), m.clone()));
                m
            }
        };
        let client = openidconnect::Client::from_provider_metadata(
            metadata,
            ClientId::new(self.config.client_id.clone()),
            Some(ClientSecret::new(self.config.client_secret.clone())),
        )
        .set_redirect_uri(self.redirect.clone());
        Ok(client)
    }

    /// Starts a sign-in: remembers state, nonce and the PKCE verifier in this browser's session and
    /// gives the provider's address to send the browser to.
    #[tracing::instrument(skip_all)]
    pub async fn start(&self, session: &Session, next: &str) -> AppResult<Result<String, SsoProblem>> {
        let client = match self.client().await {
            Ok(c) => c,
            Err(p) => return Ok(Err(p)),
        };
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("profile".into()))
            .add_scopes(self.config.rules.groups_claim.iter().map(|c| Scope::new(c.clone())))
            .set_pkce_challenge(challenge)
            .url();
        let flow = Flow {
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
            next: next.to_string(),
        };
        session.insert(FLOW_KEY, flow).await.map_err(internal)?;
        Ok(Ok(url.to_string()))
    }

    /// Finishes a sign-in from the provider's answer: the state must be this browser's, the code is
    /// exchanged with the PKCE verifier, and the ID token's signature, issuer, audience, expiry and
    /// nonce are verified before any claim is believed. Gives the user and where to go next.
    #[tracing::instrument(skip_all)]
    pub async fn finish(
        &self,
        pool: &PgPool,
        session: &Session,
        answer: &Callback,
        browser: &Browser,
    ) -> AppResult<Result<(User, String), SsoProblem>> {
        // A flow is used once, whatever happens next.
        let flow: Option<Flow> = session.remove(FLOW_KEY).await.map_err(internal)?;
        if let Some(error) = &answer.error {
            tracing::info!(error = %error.chars().take(100).collect::<String>(), "the identity provider refused");
            return Ok(Err(SsoProblem::Denied));
        }
        let (Some(code), Some(state)) = (&answer.code, &answer.state) else {
            return Ok(Err(SsoProblem::MissingParameters));
        };
        let Some(flow) = flow.filter(|f| f.state == *state) else { return Ok(Err(SsoProblem::StateMismatch)) };
        let identity = match self.verify(code, &flow).await {
            Ok(id) => id,
            Err(p) => return Ok(Err(p)),
        };
        let signed_in = accounts::sso_sign_in(pool, session, &self.config.rules, identity, browser).await?;
        Ok(signed_in.map(|user| (user, flow.next)))
    }

    async fn verify(&self, code: &str, flow: &Flow) -> Result<Identity, SsoProblem> {
        let client = self.client().await?;
        let tokens = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(|e| {
                tracing::warn!(error = %e, "the identity provider has no token endpoint");
                SsoProblem::ProviderDown
            })?
            .set_pkce_verifier(PkceCodeVerifier::new(flow.pkce_verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|e| match e {
                RequestTokenError::ServerResponse(r) => {
                    tracing::info!(error = %r.error(), "the identity provider refused the code");
                    SsoProblem::CodeRejected
                }
                RequestTokenError::Request(e) => {
                    tracing::warn!(error = ?e, "the identity provider's token endpoint did not answer");
                    SsoProblem::ProviderDown
                }
                other => {
                    tracing::warn!(error = %other, "the identity provider's token answer was not valid");
                    SsoProblem::TokenInvalid
                }
            })?;
        let id_token = tokens.id_token().ok_or(SsoProblem::TokenInvalid)?;
        let claims = id_token.claims(&client.id_token_verifier(), &Nonce::new(flow.nonce.clone())).map_err(|e| {
            tracing::warn!(error = %e, "the ID token did not verify");
            SsoProblem::TokenInvalid
        })?;
        let groups = self
            .config
            .rules
            .groups_claim
            .as_ref()
            .and_then(|c| claims.additional_claims().0.get(c))
            .and_then(|v| v.as_array())
            .map(|a| a.iter().filter_map(|g| g.as_str().map(str::to_string)).collect())
            .unwrap_or_default();
        Ok(Identity {
            issuer: claims.issuer().to_string(),
            subject: claims.subject().to_string(),
            email: claims.email().map(|e| e.to_string()).ok_or(SsoProblem::NoEmail)?,
            email_verified: claims.email_verified() == Some(true),
            name: claims.name().and_then(|n| n.get(None)).map(|n| n.to_string()),
            groups,
        })
    }
}
