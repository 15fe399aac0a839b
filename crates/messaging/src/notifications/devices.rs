//! Push devices: the FCM tokens of a user's phones and browsers.

use std::sync::Arc;

use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    sea_query::OnConflict,
};
use trellis_kernel::id::UserId;
use validator::Validate;

use super::{
    deliveries::token_suffix,
    model::{DevicePlatform, DeviceView, RegisterDevice},
};
use crate::{
    entities::device::{self, Column, Entity},
    error::{Error, Result},
    ids::DeviceId,
    service::MessagingDeps,
};

fn view(row: device::Model) -> DeviceView {
    DeviceView {
        id: row.id,
        platform: DevicePlatform::parse(&row.platform),
        token_suffix: token_suffix(&row.token),
        created_at: row.created_at.into(),
        last_seen_at: row.last_seen_at.into(),
    }
}

/// A user's devices.
#[derive(Debug, Clone)]
pub struct DeviceService {
    deps: Arc<MessagingDeps>,
}

impl DeviceService {
    pub(crate) fn new(deps: Arc<MessagingDeps>) -> Self {
        Self { deps }
    }

    /// Registers a token for `user`; true if it is new. A token already
    /// known (the app registering again, or the phone changing hands) is
    /// moved to `user` and refreshed: a token is one device.
    pub async fn register(
        &self,
        db: &impl ConnectionTrait,
        user: UserId,
        cmd: RegisterDevice,
    ) -> Result<(DeviceView, bool)> {
        cmd.validate().map_err(Error::from)?;
        let token = cmd.token.trim().to_string();
        if token.is_empty() {
            return Err(Error::field("token", "must not be blank"));
        }
        let now = self.deps.clock.now();
        let existed = Entity::find()
            .filter(Column::Token.eq(token.as_str()))
            .one(db)
            .await?
            .is_some();
        Entity::insert(device::ActiveModel {
            id: Set(DeviceId::new()),
            user_id: Set(user),
            token: Set(token.clone()),
            platform: Set(cmd.platform.as_str().to_string()),
            created_at: Set(now),
            last_seen_at: Set(now),
        })
        .on_conflict(
            OnConflict::column(Column::Token)
                .update_columns([Column::UserId, Column::Platform, Column::LastSeenAt])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await
        .map_err(Error::user_reference)?;
        let row = Entity::find()
            .filter(Column::Token.eq(token.as_str()))
            .one(db)
            .await?
            .ok_or(Error::DeviceNotFound)?;
        Ok((view(row), !existed))
    }

    /// The user's devices, newest first.
    pub async fn list(&self, db: &impl ConnectionTrait, user: UserId) -> Result<Vec<DeviceView>> {
        Ok(Entity::find()
            .filter(Column::UserId.eq(user))
            .order_by_desc(Column::Id)
            .all(db)
            .await?
            .into_iter()
            .map(view)
            .collect())
    }

    /// Forgets one of the user's devices.
    pub async fn remove(
        &self,
        db: &impl ConnectionTrait,
        user: UserId,
        id: DeviceId,
    ) -> Result<()> {
        let removed = Entity::delete_many()
            .filter(Column::Id.eq(id))
            .filter(Column::UserId.eq(user))
            .exec(db)
            .await?
            .rows_affected;
        if removed == 0 {
            return Err(Error::DeviceNotFound);
        }
        Ok(())
    }
}

/// The devices push deliveries for `user` go to.
pub(crate) async fn of_user(
    db: &impl ConnectionTrait,
    user: UserId,
) -> Result<Vec<device::Model>, DbErr> {
    Entity::find()
        .filter(Column::UserId.eq(user))
        .order_by_asc(Column::Id)
        .all(db)
        .await
}

/// Forgets a device FCM says is gone.
pub(crate) async fn forget(db: &impl ConnectionTrait, id: DeviceId) -> Result<(), DbErr> {
    Entity::delete_by_id(id).exec(db).await.map(|_| ())
}
