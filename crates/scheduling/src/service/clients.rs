//! A professional's clients and notes.

use std::sync::Arc;

use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel, ModelTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, SqlErr,
    sea_query::{Expr, ExprTrait, Func},
};
use trellis_kernel::{
    FieldError, Page, PageRequest,
    id::UserId,
    ports::{Allowance, Limit},
    types::{Email, Phone},
};
use validator::Validate;

use super::SchedulingDeps;
use crate::model::Professional;
use crate::{
    entities::{client, client_note},
    error::{Error, Result},
    ids::{ClientId, NoteId},
    model::{ClientView, CreateClient, CreateNote, NoteView, UpdateClient},
    view,
};

/// A booking's client must be reachable: by phone, email or both.
pub(crate) fn require_contact(phone: Option<&Phone>, email: Option<&Email>) -> Result<()> {
    if phone.is_none() && email.is_none() {
        return Err(Error::field(
            "client.phone",
            "a phone or an email is required",
        ));
    }
    Ok(())
}

fn unique(err: sea_orm::DbErr) -> Error {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => Error::ClientExists,
        _ => Error::Database(err),
    }
}

/// Clients and notes.
#[derive(Debug, Clone)]
pub struct ClientService {
    deps: Arc<SchedulingDeps>,
}

impl ClientService {
    pub(crate) fn new(deps: Arc<SchedulingDeps>) -> Self {
        Self { deps }
    }

    /// What the professional's plan allows for clients. Ask before opening
    /// a transaction: the answer may need a pooled connection of its own,
    /// and a request holding one connection while waiting for a second can
    /// exhaust the pool under load.
    pub(crate) async fn allowance(&self, pro: &Professional) -> Result<Allowance> {
        Ok(self
            .deps
            .entitlements
            .limit(pro.org_id, Limit::Clients)
            .await?)
    }

    /// Fails with `PlanLimit` if the professional cannot add a client.
    async fn check_limit(
        &self,
        db: &impl ConnectionTrait,
        pro: &Professional,
        allowance: &Allowance,
    ) -> Result<()> {
        let held = client::Entity::find()
            .filter(client::Column::ProfessionalId.eq(pro.id))
            .count(db);
        allowance
            .admits_counted(async { Ok::<_, Error>(held.await?) })
            .await
    }

    #[allow(clippy::too_many_arguments)] // the client's fields, flat as stored
    async fn insert(
        &self,
        db: &impl ConnectionTrait,
        pro: &Professional,
        name: &str,
        phone: Option<String>,
        email: Option<String>,
        user: Option<UserId>,
        allowance: &Allowance,
    ) -> Result<client::Model> {
        self.check_limit(db, pro, allowance).await?;
        let now = self.deps.clock.now();
        client::ActiveModel {
            id: Set(ClientId::new()),
            professional_id: Set(pro.id),
            user_id: Set(user),
            name: Set(name.trim().to_string()),
            phone: Set(phone),
            email: Set(email),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(db)
        .await
        .map_err(unique)
    }

    /// Adds a client.
    pub async fn create(
        &self,
        db: &impl ConnectionTrait,
        pro: &Professional,
        cmd: CreateClient,
    ) -> Result<ClientView> {
        cmd.validate()?;
        let phone = cmd.phone.map(String::from);
        let email = cmd.email.map(String::from);
        let allowance = self.allowance(pro).await?;
        Ok(view::client(
            self.insert(db, pro, &cmd.name, phone, email, None, &allowance)
                .await?,
        ))
    }

    /// Finds the client by phone, then email, or adds one: what a public
    /// booking does. Existing clients are found even over the plan's limit.
    pub async fn find_or_create(
        &self,
        db: &impl ConnectionTrait,
        pro: &Professional,
        name: &str,
        phone: Option<&Phone>,
        email: Option<&Email>,
        user: Option<UserId>,
    ) -> Result<ClientView> {
        let allowance = self.allowance(pro).await?;
        let row = self
            .find_or_create_row(db, pro, name, phone, email, user, &allowance)
            .await?;
        Ok(view::client(row))
    }

    /// Finds the client by phone, then email, or adds one (public bookings).
    /// A signed-in booker is linked to the record so they see their appointments.
    #[allow(clippy::too_many_arguments)] // the client's fields, flat as stored
    pub(crate) async fn find_or_create_row(
        &self,
        db: &impl ConnectionTrait,
        pro: &Professional,
        name: &str,
        phone: Option<&Phone>,
        email: Option<&Email>,
        user: Option<UserId>,
        allowance: &Allowance,
    ) -> Result<client::Model> {
        require_contact(phone, email)?;
        let mut existing = None;
        if let Some(p) = &phone {
            existing = client::Entity::find()
                .filter(client::Column::ProfessionalId.eq(pro.id))
                .filter(client::Column::Phone.eq(p.as_str()))
                .one(db)
                .await?;
        }
        if existing.is_none()
            && let Some(e) = &email
        {
            existing = client::Entity::find()
                .filter(client::Column::ProfessionalId.eq(pro.id))
                .filter(client::Column::Email.eq(e.as_str()))
                .one(db)
                .await?;
        }
        match existing {
            Some(found) if found.user_id.is_none() && user.is_some() => {
                let mut active = found.into_active_model();
                active.user_id = Set(user);
                Ok(active.update(db).await?)
            }
            Some(found) => Ok(found),
            None => {
                let (phone, email) = (phone.map(Phone::to_string), email.map(Email::to_string));
                self.insert(db, pro, name, phone, email, user, allowance)
                    .await
            }
        }
    }

    /// Clients whose name, phone or email matches `q`, by id.
    pub async fn search(
        &self,
        db: &impl ConnectionTrait,
        pro: &Professional,
        q: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<ClientView>> {
        let after: Option<ClientId> = page
            .key()
            .map_err(|e| Error::field("cursor", e.to_string()))?;
        let mut select = client::Entity::find().filter(client::Column::ProfessionalId.eq(pro.id));
        if let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) {
            let text = format!("%{}%", q.to_lowercase().replace(['%', '_'], ""));
            let digits: String = q.chars().filter(char::is_ascii_digit).collect();
            let mut any = Condition::any()
                .add(Expr::expr(Func::lower(Expr::col(client::Column::Name))).like(text.clone()))
                .add(client::Column::Email.like(text));
            if digits.len() >= 3 {
                any = any.add(client::Column::Phone.like(format!("%{digits}%")));
            }
            select = select.filter(any);
        }
        if let Some(after) = after {
            select = select.filter(client::Column::Id.gt(after));
        }
        let rows = select
            .order_by_asc(client::Column::Id)
            .limit(page.fetch_limit())
            .all(db)
            .await?;
        Ok(Page::from_rows(rows, page, |c| c.id, view::client))
    }

    /// One client of the professional.
    pub async fn get(
        &self,
        db: &impl ConnectionTrait,
        pro: &Professional,
        id: ClientId,
    ) -> Result<ClientView> {
        Ok(view::client(self.row(db, pro, id).await?))
    }

    /// The row of one of the professional's clients.
    pub(crate) async fn row(
        &self,
        db: &impl ConnectionTrait,
        pro: &Professional,
        id: ClientId,
    ) -> Result<client::Model> {
        client::Entity::find_by_id(id)
            .filter(client::Column::ProfessionalId.eq(pro.id))
            .one(db)
            .await?
            .ok_or(Error::ClientNotFound)
    }

    /// Changes a client.
    pub async fn update(
        &self,
        db: &impl ConnectionTrait,
        pro: &Professional,
        id: ClientId,
        cmd: UpdateClient,
    ) -> Result<ClientView> {
        let mut errors = Vec::new();
        if let Some(name) = &cmd.name
            && !(1..=200).contains(&name.trim().chars().count())
        {
            errors.push(FieldError::new("name", "must be 1 to 200 characters"));
        }
        if !errors.is_empty() {
            return Err(Error::Validation(errors));
        }
        let mut row = self.row(db, pro, id).await?;
        if let Some(name) = cmd.name {
            row.name = name.trim().to_string();
        }
        cmd.phone.map_value(String::from).update_to(&mut row.phone);
        cmd.email.map_value(String::from).update_to(&mut row.email);
        row.updated_at = self.deps.clock.now();
        let mut active = row.into_active_model();
        for column in [
            client::Column::Name,
            client::Column::Phone,
            client::Column::Email,
            client::Column::UpdatedAt,
        ] {
            active.reset(column);
        }
        Ok(view::client(active.update(db).await.map_err(unique)?))
    }

    /// Removes a client with their notes and appointments.
    pub async fn delete(
        &self,
        db: &impl ConnectionTrait,
        pro: &Professional,
        id: ClientId,
    ) -> Result<()> {
        self.row(db, pro, id).await?.delete(db).await?;
        Ok(())
    }

    /// Notes about a client, newest first.
    pub async fn notes(
        &self,
        db: &impl ConnectionTrait,
        pro: &Professional,
        id: ClientId,
    ) -> Result<Vec<NoteView>> {
        let client = self.row(db, pro, id).await?;
        let rows = client_note::Entity::find()
            .filter(client_note::Column::ClientId.eq(client.id))
            .order_by_desc(client_note::Column::Id)
            .all(db)
            .await?;
        Ok(rows.into_iter().map(view::note).collect())
    }

    /// Writes a note about a client.
    pub async fn add_note(
        &self,
        db: &impl ConnectionTrait,
        pro: &Professional,
        id: ClientId,
        cmd: CreateNote,
    ) -> Result<NoteView> {
        cmd.validate()?;
        let client = self.row(db, pro, id).await?;
        let row = client_note::ActiveModel {
            id: Set(NoteId::new()),
            client_id: Set(client.id),
            body: Set(cmd.body),
            created_at: Set(self.deps.clock.now()),
        }
        .insert(db)
        .await?;
        Ok(view::note(row))
    }
}
