//! Notification delivery, as the gateway wires it: the channels the
//! configuration names, and the worker loop that sends due deliveries.
//!
//! Email is always on: SMTP when `SMTP_URL` is set, `.eml` files under the
//! data directory otherwise. SMS goes to the Twilio-shaped provider when
//! `TWILIO_ACCOUNT_SID` is set, to text files in development, and nowhere in
//! production without a provider (an OTP request then has no channel and
//! says so in the log). WhatsApp and push exist only when configured.

use std::{sync::Arc, time::Duration};

use secrecy::ExposeSecret;
use tokio_util::sync::CancellationToken;
use trellis_messaging::notifications::{
    Channels, DeliveryWorker,
    channels::{
        email::{EmailChannel, EmailConfig},
        push::{FcmChannel, FcmConfig},
        sms::{FileSmsChannel, TwilioConfig, TwilioSender, TwilioSmsChannel},
        whatsapp::{WhatsappChannel, WhatsappConfig},
    },
};

use crate::{
    app::StartupError,
    config::{Config, Environment},
    middleware::metrics::Metrics,
};

/// How many deliveries one pass claims.
const BATCH: u32 = 32;

fn failed(
    channel: &str,
) -> impl Fn(trellis_messaging::notifications::channels::ConfigError) -> StartupError + '_ {
    move |e| StartupError::Notifications(format!("{channel}: {e}"))
}

/// Whether texts can go anywhere: a provider, or the development outbox.
pub fn sms_enabled(config: &Config) -> bool {
    config.notify.twilio.is_some() || config.env == Environment::Development
}

/// The channels the configuration asks for.
pub fn channels(config: &Config) -> Result<Channels, StartupError> {
    let mut channels = Channels::new();
    let from = config.mail.from.to_string();
    let email = match &config.mail.smtp_url {
        Some(url) => EmailConfig::smtp(url.clone(), from),
        None => {
            let dir = config.data_dir.join("mail");
            if config.env == Environment::Production {
                tracing::warn!(dir = %dir.display(), "SMTP_URL is not set: emails are written to files, not sent");
            } else {
                tracing::info!(dir = %dir.display(), "SMTP_URL is not set: emails are written as .eml files");
            }
            EmailConfig::files(dir, from)
        }
    };
    channels.insert(Arc::new(EmailChannel::new(email).map_err(failed("email"))?));

    let notify = &config.notify;
    match (&notify.twilio, config.env) {
        (Some(twilio), _) => {
            let sender = match (&twilio.from, &twilio.messaging_service_sid) {
                (Some(from), _) => TwilioSender::From(from.clone()),
                (None, Some(sid)) => TwilioSender::MessagingService(sid.clone()),
                (None, None) => TwilioSender::From(String::new()),
            };
            let mut settings = TwilioConfig::new(
                twilio.account_sid.clone(),
                twilio.auth_token.clone(),
                sender,
            );
            if let Some(base) = &twilio.base_url {
                settings.base_url = base.clone();
            }
            channels.insert(Arc::new(
                TwilioSmsChannel::new(settings).map_err(failed("sms"))?,
            ));
        }
        (None, Environment::Development) => {
            channels.insert(Arc::new(FileSmsChannel::new(config.data_dir.join("sms"))));
        }
        (None, Environment::Production) => {
            tracing::warn!(
                "no SMS provider is configured (TWILIO_ACCOUNT_SID): texts, phone codes included, are not sent"
            );
        }
    }
    if let Some(whatsapp) = &notify.whatsapp {
        let mut settings = WhatsappConfig::new(
            whatsapp.phone_number_id.clone(),
            whatsapp.access_token.clone(),
        );
        if let Some(base) = &whatsapp.base_url {
            settings.base_url = base.clone();
        }
        if let Some(version) = &whatsapp.api_version {
            settings.api_version = version.clone();
        }
        channels.insert(Arc::new(
            WhatsappChannel::new(settings).map_err(failed("whatsapp"))?,
        ));
    }
    if let Some(fcm) = &notify.fcm {
        let mut settings =
            FcmConfig::new(fcm.service_account.clone(), fcm.android_channel_id.clone());
        settings.project_id = fcm.project_id.clone();
        settings.token_uri = fcm.token_uri.clone();
        if let Some(base) = &fcm.base_url {
            settings.base_url = base.clone();
        }
        channels.insert(Arc::new(FcmChannel::new(settings).map_err(failed("push"))?));
    }
    // Keep the secret-bearing values out of the log: names only.
    tracing::info!(channels = ?channels.kinds(), smtp = config.mail.smtp_url.as_ref().map(|u| !u.expose_secret().is_empty()), "notification channels");
    Ok(channels)
}

/// Sends due deliveries until `shutdown`: a pass every `poll`, and at once
/// again while passes find full batches. Counts attempts on `/metrics` (the
/// queue's age is sampled there, when scraped).
pub async fn run(
    db: sea_orm::DatabaseConnection,
    worker: Arc<DeliveryWorker>,
    metrics: Arc<Metrics>,
    poll: Duration,
    shutdown: CancellationToken,
) {
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(poll) => {}
        }
        loop {
            match worker.run_once(&db, BATCH).await {
                Ok(report) => {
                    for ((channel, outcome), n) in &report.outcomes {
                        metrics.deliveries(channel.as_str(), outcome.as_str(), *n);
                    }
                    if report.claimed == BATCH as usize && !shutdown.is_cancelled() {
                        continue;
                    }
                }
                Err(err) => tracing::warn!(error = %err, "notification pass failed; retrying"),
            }
            break;
        }
    }
}
