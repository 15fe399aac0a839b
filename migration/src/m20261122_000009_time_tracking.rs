//! Time tracking: an agency's clients, projects, tasks and comments, time
//! entries and per-organization time settings.
//!
//! The agency's clients live in `agency_clients`, never to be confused with
//! scheduling's `clients` (a professional's customers).
//!
//! References inside the domain (project → client, task → project, entry →
//! project and task) are `NO ACTION`: deleting a project that still has
//! tasks or time fails, which the service answers with 409; and because
//! `NO ACTION` is checked at the end of the statement, deleting the whole
//! organization still cascades through every table in one go.
//!
//! `ux_time_entries_running` is a partial unique index (both databases have
//! them): at most one entry without an end, that is one running timer, per
//! person and organization, whatever the application does.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum AgencyClients {
    Table,
    Id,
    OrgId,
    Name,
    Email,
    Phone,
    Address,
    Currency,
    HourlyRateMinor,
    Archived,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Projects {
    Table,
    Id,
    OrgId,
    ClientId,
    Name,
    Code,
    Status,
    Billable,
    HourlyRateMinor,
    BudgetHours,
    Color,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Tasks {
    Table,
    Id,
    OrgId,
    ProjectId,
    Title,
    Description,
    Status,
    Priority,
    AssigneeId,
    DueOn,
    EstimateMinutes,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum TaskComments {
    Table,
    Id,
    OrgId,
    TaskId,
    AuthorId,
    Body,
    CreatedAt,
    EditedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum TimeEntries {
    Table,
    Id,
    OrgId,
    UserId,
    ProjectId,
    TaskId,
    Description,
    StartAt,
    EndAt,
    DurationSeconds,
    Billable,
    RateMinor,
    Currency,
    BilledInvoiceId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum TimeSettings {
    Table,
    OrgId,
    TimeZone,
    AllowOverlaps,
    LockDate,
    RoundingMode,
    RoundingMinutes,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Organizations {
    Table,
    Id,
}

fn fk(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(on_delete)
        .to_owned()
}

fn instant(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

fn id(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .uuid()
        .not_null()
        .primary_key()
        .to_owned()
}

fn org_fk(name: &str, table: impl IntoIden, col: impl IntoIden) -> ForeignKeyCreateStatement {
    fk(
        name,
        (table, col),
        (Organizations::Table, Organizations::Id),
        ForeignKeyAction::Cascade,
    )
}

fn index<T: IntoIden + Copy>(name: &str, table: T, cols: &[T]) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table);
    for col in cols {
        index.col(*col);
    }
    index.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(AgencyClients::Table)
                .col(id(AgencyClients::Id))
                .col(ColumnDef::new(AgencyClients::OrgId).uuid().not_null())
                .col(
                    ColumnDef::new(AgencyClients::Name)
                        .string_len(200)
                        .not_null(),
                )
                .col(ColumnDef::new(AgencyClients::Email).string_len(254).null())
                .col(ColumnDef::new(AgencyClients::Phone).string_len(20).null())
                .col(ColumnDef::new(AgencyClients::Address).text().null())
                .col(
                    ColumnDef::new(AgencyClients::Currency)
                        .string_len(3)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(AgencyClients::HourlyRateMinor)
                        .big_integer()
                        .null(),
                )
                .col(
                    ColumnDef::new(AgencyClients::Archived)
                        .boolean()
                        .not_null()
                        .default(false),
                )
                .col(instant(AgencyClients::CreatedAt))
                .col(instant(AgencyClients::UpdatedAt))
                .foreign_key(&mut org_fk(
                    "fk_agency_clients_org",
                    AgencyClients::Table,
                    AgencyClients::OrgId,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_agency_clients_org",
            AgencyClients::Table,
            &[AgencyClients::OrgId, AgencyClients::Id],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(Projects::Table)
                .col(id(Projects::Id))
                .col(ColumnDef::new(Projects::OrgId).uuid().not_null())
                .col(ColumnDef::new(Projects::ClientId).uuid().not_null())
                .col(ColumnDef::new(Projects::Name).string_len(200).not_null())
                .col(ColumnDef::new(Projects::Code).string_len(32).null())
                .col(ColumnDef::new(Projects::Status).string_len(16).not_null())
                .col(ColumnDef::new(Projects::Billable).boolean().not_null())
                .col(
                    ColumnDef::new(Projects::HourlyRateMinor)
                        .big_integer()
                        .null(),
                )
                .col(ColumnDef::new(Projects::BudgetHours).integer().null())
                .col(ColumnDef::new(Projects::Color).string_len(7).null())
                .col(instant(Projects::CreatedAt))
                .col(instant(Projects::UpdatedAt))
                .foreign_key(&mut org_fk(
                    "fk_projects_org",
                    Projects::Table,
                    Projects::OrgId,
                ))
                .foreign_key(&mut fk(
                    "fk_projects_client",
                    (Projects::Table, Projects::ClientId),
                    (AgencyClients::Table, AgencyClients::Id),
                    ForeignKeyAction::NoAction,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_projects_org",
            Projects::Table,
            &[Projects::OrgId, Projects::Id],
        ))
        .await?;
        m.create_index(index(
            "ix_projects_client",
            Projects::Table,
            &[Projects::ClientId],
        ))
        .await?;
        // NULL codes are distinct in a unique index on both databases.
        m.create_index(
            index(
                "ux_projects_code",
                Projects::Table,
                &[Projects::OrgId, Projects::Code],
            )
            .unique()
            .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Tasks::Table)
                .col(id(Tasks::Id))
                .col(ColumnDef::new(Tasks::OrgId).uuid().not_null())
                .col(ColumnDef::new(Tasks::ProjectId).uuid().not_null())
                .col(ColumnDef::new(Tasks::Title).string_len(300).not_null())
                .col(ColumnDef::new(Tasks::Description).text().null())
                .col(ColumnDef::new(Tasks::Status).string_len(16).not_null())
                .col(ColumnDef::new(Tasks::Priority).string_len(16).not_null())
                .col(ColumnDef::new(Tasks::AssigneeId).uuid().null())
                .col(ColumnDef::new(Tasks::DueOn).date().null())
                .col(ColumnDef::new(Tasks::EstimateMinutes).integer().null())
                .col(ColumnDef::new(Tasks::CreatedBy).uuid().null())
                .col(instant(Tasks::CreatedAt))
                .col(instant(Tasks::UpdatedAt))
                .foreign_key(&mut org_fk("fk_tasks_org", Tasks::Table, Tasks::OrgId))
                .foreign_key(&mut fk(
                    "fk_tasks_project",
                    (Tasks::Table, Tasks::ProjectId),
                    (Projects::Table, Projects::Id),
                    ForeignKeyAction::NoAction,
                ))
                .foreign_key(&mut fk(
                    "fk_tasks_assignee",
                    (Tasks::Table, Tasks::AssigneeId),
                    (Users::Table, Users::Id),
                    ForeignKeyAction::SetNull,
                ))
                .foreign_key(&mut fk(
                    "fk_tasks_created_by",
                    (Tasks::Table, Tasks::CreatedBy),
                    (Users::Table, Users::Id),
                    ForeignKeyAction::SetNull,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_tasks_org",
            Tasks::Table,
            &[Tasks::OrgId, Tasks::Id],
        ))
        .await?;
        m.create_index(index(
            "ix_tasks_project",
            Tasks::Table,
            &[Tasks::ProjectId, Tasks::Id],
        ))
        .await?;
        m.create_index(index(
            "ix_tasks_assignee",
            Tasks::Table,
            &[Tasks::AssigneeId, Tasks::Id],
        ))
        .await?;
        m.create_index(index(
            "ix_tasks_due",
            Tasks::Table,
            &[Tasks::OrgId, Tasks::DueOn],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(TaskComments::Table)
                .col(id(TaskComments::Id))
                .col(ColumnDef::new(TaskComments::OrgId).uuid().not_null())
                .col(ColumnDef::new(TaskComments::TaskId).uuid().not_null())
                .col(ColumnDef::new(TaskComments::AuthorId).uuid().null())
                .col(ColumnDef::new(TaskComments::Body).text().not_null())
                .col(instant(TaskComments::CreatedAt))
                .col(
                    ColumnDef::new(TaskComments::EditedAt)
                        .timestamp_with_time_zone()
                        .null(),
                )
                .foreign_key(&mut org_fk(
                    "fk_task_comments_org",
                    TaskComments::Table,
                    TaskComments::OrgId,
                ))
                .foreign_key(&mut fk(
                    "fk_task_comments_task",
                    (TaskComments::Table, TaskComments::TaskId),
                    (Tasks::Table, Tasks::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    "fk_task_comments_author",
                    (TaskComments::Table, TaskComments::AuthorId),
                    (Users::Table, Users::Id),
                    ForeignKeyAction::SetNull,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_task_comments_task",
            TaskComments::Table,
            &[TaskComments::TaskId, TaskComments::Id],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(TimeEntries::Table)
                .col(id(TimeEntries::Id))
                .col(ColumnDef::new(TimeEntries::OrgId).uuid().not_null())
                .col(ColumnDef::new(TimeEntries::UserId).uuid().not_null())
                .col(ColumnDef::new(TimeEntries::ProjectId).uuid().not_null())
                .col(ColumnDef::new(TimeEntries::TaskId).uuid().null())
                .col(ColumnDef::new(TimeEntries::Description).text().null())
                .col(instant(TimeEntries::StartAt))
                .col(
                    ColumnDef::new(TimeEntries::EndAt)
                        .timestamp_with_time_zone()
                        .null(),
                )
                .col(
                    ColumnDef::new(TimeEntries::DurationSeconds)
                        .big_integer()
                        .null(),
                )
                .col(ColumnDef::new(TimeEntries::Billable).boolean().not_null())
                .col(ColumnDef::new(TimeEntries::RateMinor).big_integer().null())
                .col(
                    ColumnDef::new(TimeEntries::Currency)
                        .string_len(3)
                        .not_null(),
                )
                .col(ColumnDef::new(TimeEntries::BilledInvoiceId).uuid().null())
                .col(instant(TimeEntries::CreatedAt))
                .col(instant(TimeEntries::UpdatedAt))
                // A stopped entry has a positive length; a running one has neither.
                .check((
                    Alias::new("ck_time_entries_duration"),
                    Expr::cust(
                        "(end_at IS NULL AND duration_seconds IS NULL) \
                         OR (end_at IS NOT NULL AND duration_seconds > 0)",
                    ),
                ))
                .foreign_key(&mut org_fk(
                    "fk_time_entries_org",
                    TimeEntries::Table,
                    TimeEntries::OrgId,
                ))
                .foreign_key(&mut fk(
                    "fk_time_entries_user",
                    (TimeEntries::Table, TimeEntries::UserId),
                    (Users::Table, Users::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    "fk_time_entries_project",
                    (TimeEntries::Table, TimeEntries::ProjectId),
                    (Projects::Table, Projects::Id),
                    ForeignKeyAction::NoAction,
                ))
                .foreign_key(&mut fk(
                    "fk_time_entries_task",
                    (TimeEntries::Table, TimeEntries::TaskId),
                    (Tasks::Table, Tasks::Id),
                    ForeignKeyAction::NoAction,
                ))
                .to_owned(),
        )
        .await?;
        // One running timer per person and organization.
        m.create_index(
            index(
                "ux_time_entries_running",
                TimeEntries::Table,
                &[TimeEntries::OrgId, TimeEntries::UserId],
            )
            .unique()
            .and_where(Expr::col(TimeEntries::EndAt).is_null())
            .to_owned(),
        )
        .await?;
        // Reports and lists over a range; the unbilled-time query.
        m.create_index(index(
            "ix_time_entries_org_start",
            TimeEntries::Table,
            &[TimeEntries::OrgId, TimeEntries::StartAt],
        ))
        .await?;
        // Overlap checks and one person's entries.
        m.create_index(index(
            "ix_time_entries_user_start",
            TimeEntries::Table,
            &[
                TimeEntries::OrgId,
                TimeEntries::UserId,
                TimeEntries::StartAt,
            ],
        ))
        .await?;
        // A project's time, and the check behind refusing its deletion.
        m.create_index(index(
            "ix_time_entries_project",
            TimeEntries::Table,
            &[TimeEntries::ProjectId, TimeEntries::StartAt],
        ))
        .await?;
        m.create_index(index(
            "ix_time_entries_task",
            TimeEntries::Table,
            &[TimeEntries::TaskId],
        ))
        .await?;
        // Releasing an invoice's entries.
        m.create_index(index(
            "ix_time_entries_invoice",
            TimeEntries::Table,
            &[TimeEntries::BilledInvoiceId],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(TimeSettings::Table)
                .col(id(TimeSettings::OrgId))
                .col(
                    ColumnDef::new(TimeSettings::TimeZone)
                        .string_len(64)
                        .not_null()
                        .default("UTC"),
                )
                .col(
                    ColumnDef::new(TimeSettings::AllowOverlaps)
                        .boolean()
                        .not_null()
                        .default(false),
                )
                .col(ColumnDef::new(TimeSettings::LockDate).date().null())
                .col(
                    ColumnDef::new(TimeSettings::RoundingMode)
                        .string_len(8)
                        .null(),
                )
                .col(
                    ColumnDef::new(TimeSettings::RoundingMinutes)
                        .integer()
                        .null(),
                )
                .col(instant(TimeSettings::UpdatedAt))
                .check((
                    Alias::new("ck_time_settings_rounding"),
                    Expr::cust(
                        "(rounding_mode IS NULL AND rounding_minutes IS NULL) \
                         OR (rounding_mode IS NOT NULL AND rounding_minutes BETWEEN 1 AND 60)",
                    ),
                ))
                .foreign_key(&mut org_fk(
                    "fk_time_settings_org",
                    TimeSettings::Table,
                    TimeSettings::OrgId,
                ))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            TimeSettings::Table.into_iden(),
            TimeEntries::Table.into_iden(),
            TaskComments::Table.into_iden(),
            Tasks::Table.into_iden(),
            Projects::Table.into_iden(),
            AgencyClients::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
