//! Who wants what: per kind and channel, on unless turned off. Security
//! kinds (one-time links and codes, staff alerts) are always on.
//!
//! Preferences belong to a subject: `user:<id>` for an account, or
//! `email:<address>` / `phone:<e164>` for someone without one (a booking's
//! client who followed an unsubscribe link).

use std::{collections::HashSet, sync::Arc};

use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    sea_query::OnConflict,
};
use trellis_kernel::{
    id::UserId,
    notify::{ChannelKind, NotificationKind, Recipient},
};

use super::{
    catalogue::{CATALOGUE, spec},
    model::{PreferenceView, PreferencesView, UnsubscribedView, UpdatePreferences},
    unsubscribe::{Unsubscribe, UnsubscribeSigner},
};
use crate::{
    entities::preference::{self, Column, Entity},
    error::{Error, Result},
    service::MessagingDeps,
};

/// The preference subject of an account.
pub(crate) fn user_subject(user: UserId) -> String {
    format!("user:{user}")
}

/// Every subject a recipient's preferences may be stored under: the
/// account's, and those of the addresses an unsubscribe link may have named.
pub(crate) fn subjects_of(recipient: &Recipient) -> Vec<String> {
    let mut subjects = Vec::with_capacity(3);
    if let Some(user) = recipient.user_id {
        subjects.push(user_subject(user));
    }
    if let Some(email) = &recipient.email {
        subjects.push(format!("email:{email}"));
    }
    if let Some(phone) = &recipient.phone {
        subjects.push(format!("phone:{phone}"));
    }
    subjects
}

/// The subject an unsubscribe link names: the account if there is one,
/// else the address the email went to.
pub(crate) fn link_subject(recipient: &Recipient) -> Option<String> {
    match (recipient.user_id, &recipient.email) {
        (Some(user), _) => Some(user_subject(user)),
        (None, Some(email)) => Some(format!("email:{email}")),
        (None, None) => None,
    }
}

/// The channels of `kind` any of `subjects` turned off (none for a
/// security kind).
pub(crate) async fn turned_off(
    db: &impl ConnectionTrait,
    subjects: &[String],
    kind: NotificationKind,
) -> Result<HashSet<ChannelKind>, DbErr> {
    if subjects.is_empty() || spec(kind).security {
        return Ok(HashSet::new());
    }
    Ok(Entity::find()
        .filter(Column::Subject.is_in(subjects.iter().cloned()))
        .filter(Column::Kind.eq(kind.as_str()))
        .filter(Column::Enabled.eq(false))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|p| ChannelKind::parse(&p.channel))
        .collect())
}

async fn set(
    db: &impl ConnectionTrait,
    deps: &MessagingDeps,
    subject: &str,
    changes: &[(NotificationKind, ChannelKind, bool)],
) -> Result<(), DbErr> {
    if changes.is_empty() {
        return Ok(());
    }
    let now = deps.clock.now();
    let rows = changes
        .iter()
        .map(|(kind, channel, enabled)| preference::ActiveModel {
            subject: Set(subject.to_string()),
            kind: Set(kind.as_str().to_string()),
            channel: Set(channel.as_str().to_string()),
            enabled: Set(*enabled),
            updated_at: Set(now),
        });
    Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([Column::Subject, Column::Kind, Column::Channel])
                .update_columns([Column::Enabled, Column::UpdatedAt])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await
        .map(|_| ())
}

/// Preferences and unsubscribe links.
#[derive(Debug, Clone)]
pub struct PreferenceService {
    deps: Arc<MessagingDeps>,
    signer: Arc<UnsubscribeSigner>,
}

impl PreferenceService {
    pub(crate) fn new(deps: Arc<MessagingDeps>, signer: Arc<UnsubscribeSigner>) -> Self {
        Self { deps, signer }
    }

    /// Every kind on every channel the product uses for it, as `user` has them.
    pub async fn get(&self, db: &impl ConnectionTrait, user: UserId) -> Result<PreferencesView> {
        let off: HashSet<(String, String)> = Entity::find()
            .filter(Column::Subject.eq(user_subject(user)))
            .filter(Column::Enabled.eq(false))
            .all(db)
            .await?
            .into_iter()
            .map(|p| (p.kind, p.channel))
            .collect();
        let preferences = CATALOGUE
            .iter()
            .flat_map(|spec| {
                let off = &off;
                spec.channels.iter().map(move |channel| PreferenceView {
                    kind: spec.kind,
                    channel: *channel,
                    enabled: spec.security
                        || !off.contains(&(
                            spec.kind.as_str().to_string(),
                            channel.as_str().to_string(),
                        )),
                    security: spec.security,
                })
            })
            .collect();
        Ok(PreferencesView { preferences })
    }

    /// Applies `cmd` (all or nothing) and returns every preference. Turning
    /// a security kind off is refused, naming the kinds; a channel the kind
    /// is never sent on is refused too.
    pub async fn update(
        &self,
        db: &impl ConnectionTrait,
        user: UserId,
        cmd: UpdatePreferences,
    ) -> Result<PreferencesView> {
        let mut security = Vec::new();
        let mut invalid = Vec::new();
        let mut changes = Vec::with_capacity(cmd.preferences.len());
        for (i, change) in cmd.preferences.iter().enumerate() {
            let spec = spec(change.kind);
            if !spec.channels.contains(&change.channel) {
                invalid.push(trellis_kernel::FieldError::new(
                    format!("preferences[{i}].channel"),
                    format!(
                        "{} is never sent by {}",
                        change.kind.as_str(),
                        change.channel.as_str()
                    ),
                ));
            } else if spec.security && !change.enabled {
                if !security.contains(&change.kind.as_str().to_string()) {
                    security.push(change.kind.as_str().to_string());
                }
            } else if !spec.security {
                changes.retain(|(k, c, _)| (*k, *c) != (change.kind, change.channel));
                changes.push((change.kind, change.channel, change.enabled));
            }
        }
        if !security.is_empty() {
            return Err(Error::SecurityKinds(security));
        }
        if !invalid.is_empty() {
            return Err(Error::Validation(invalid));
        }
        set(db, &self.deps, &user_subject(user), &changes).await?;
        self.get(db, user).await
    }

    /// The token of an unsubscribe link for `recipient` and `kind` by email.
    pub(crate) fn unsubscribe_token(
        &self,
        recipient: &Recipient,
        kind: NotificationKind,
    ) -> Option<String> {
        let subject = link_subject(recipient)?;
        Some(self.signer.sign(&Unsubscribe {
            subject,
            kind,
            channel: ChannelKind::Email,
        }))
    }

    /// Follows an unsubscribe link: turns its kind off on its channel for
    /// its subject, at once. Following it again changes nothing.
    pub async fn unsubscribe(
        &self,
        db: &impl ConnectionTrait,
        token: &str,
    ) -> Result<UnsubscribedView> {
        let what = self.signer.verify(token).ok_or(Error::UnsubscribeInvalid)?;
        if spec(what.kind).security {
            return Err(Error::UnsubscribeInvalid);
        }
        set(
            db,
            &self.deps,
            &what.subject,
            &[(what.kind, what.channel, false)],
        )
        .await?;
        Ok(UnsubscribedView {
            kind: what.kind,
            channel: what.channel,
        })
    }
}
