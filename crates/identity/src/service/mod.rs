//! Identity services. Each takes the connection (or transaction) to work in,
//! so the gateway can compose steps of several domains in one transaction.

mod accounts;
mod links;
mod orgs;
mod otp;
mod people;
mod sessions;
mod staff;

use std::{sync::Arc, time::Duration};

pub use accounts::AccountService;
pub use links::LinkService;
pub use orgs::{MembershipDirectory, OrgService};
pub use otp::OtpService;
pub use people::PeopleDirectory;
pub use sessions::SessionService;
pub use staff::StaffService;
use trellis_kernel::{SharedClock, auth::TokenCodec, ports::Entitlements};

use crate::password::Passwords;

/// Identity's settings, read from the environment by the gateway.
#[derive(Debug, Clone)]
pub struct IdentityConfig {
    /// How long a refresh token lives (sliding: every refresh renews it).
    pub refresh_ttl: Duration,
    /// How long after a rotation the old token may still be exchanged, to
    /// absorb a client's own concurrent refreshes.
    pub reuse_grace: Duration,
    /// Verification link lifetime.
    pub verify_ttl: Duration,
    /// Password reset link lifetime.
    pub reset_ttl: Duration,
    /// Phone code lifetime.
    pub otp_ttl: Duration,
    /// Minimum time between two codes to one phone.
    pub otp_cooldown: Duration,
    /// Codes per phone per hour.
    pub otp_hourly_cap: u32,
    /// Wrong guesses that kill a code.
    pub otp_max_attempts: u32,
    /// Base URL of the app, for links in emails (`https://app.example.com`).
    pub app_url: String,
    /// Product name in messages.
    pub product_name: String,
    /// Whether text messages can be sent (an SMS channel is configured):
    /// without one, asking for a sign-in code is refused with 503 rather
    /// than answered with a code nobody will receive.
    pub sms_enabled: bool,
}

impl Default for IdentityConfig {
    fn default() -> Self {
        Self {
            refresh_ttl: Duration::from_secs(30 * 86_400),
            reuse_grace: Duration::from_secs(10),
            verify_ttl: Duration::from_secs(48 * 3600),
            reset_ttl: Duration::from_secs(3600),
            otp_ttl: Duration::from_secs(300),
            otp_cooldown: Duration::from_secs(60),
            otp_hourly_cap: 5,
            otp_max_attempts: 5,
            app_url: "http://localhost:8080".into(),
            product_name: "Trellis".into(),
            sms_enabled: true,
        }
    }
}

/// What every identity service needs.
#[derive(Clone)]
pub struct IdentityDeps {
    /// Now.
    pub clock: SharedClock,
    /// Access tokens.
    pub tokens: TokenCodec,
    /// Password hashing.
    pub passwords: Passwords,
    /// Settings.
    pub config: Arc<IdentityConfig>,
    /// What an organization's plan allows (members).
    pub entitlements: Arc<dyn Entitlements>,
}

impl std::fmt::Debug for IdentityDeps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdentityDeps")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl IdentityDeps {
    pub(crate) fn chrono(d: Duration) -> chrono::Duration {
        trellis_kernel::time::span(d)
    }
}

/// Every identity service, built from one set of dependencies.
#[derive(Debug, Clone)]
pub struct Identity {
    /// Registration, sign-in, profile, passwords, anonymous users.
    pub accounts: AccountService,
    /// Sessions and refresh tokens.
    pub sessions: SessionService,
    /// Email verification and password reset links.
    pub links: LinkService,
    /// Phone codes.
    pub otp: OtpService,
    /// Organizations and members.
    pub orgs: OrgService,
    /// The control center's user management.
    pub staff: StaffService,
}

impl Identity {
    /// Wires the services.
    pub fn new(deps: IdentityDeps) -> Self {
        let deps = Arc::new(deps);
        let sessions = SessionService::new(deps.clone());
        let links = LinkService::new(deps.clone(), sessions.clone());
        Self {
            accounts: AccountService::new(deps.clone(), sessions.clone(), links.clone()),
            otp: OtpService::new(deps.clone(), sessions.clone()),
            orgs: OrgService::new(deps.clone()),
            staff: StaffService::new(deps.clone(), sessions.clone()),
            sessions,
            links,
        }
    }
}
