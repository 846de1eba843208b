//! Command-line administration: bootstrapping principals and checking the audit trail.

use entity::{clients, users};
use sea_orm::DatabaseConnection;

use crate::audit::{self, AuditContext, Verdict};
use crate::auth::passwords::{hash_now, password_problem, random_secret};
use crate::cli::{CreateClientArgs, CreateUserArgs};
use crate::services::clients::{ClientDraft, new_secret};
use crate::services::common;
use crate::services::users::UserDraft;

fn describe(e: crate::error::ApiError) -> String {
    match e {
        crate::error::ApiError::Validation { errors } => errors
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message.en))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

/// Creates a user; returns the generated password when none was given.
pub async fn create_user(
    db: &DatabaseConnection,
    args: CreateUserArgs,
    given: Option<String>,
) -> Result<(uuid::Uuid, Option<String>), String> {
    let (password, generated) = match given {
        Some(p) => (p, false),
        None => (random_secret(18).map_err(describe)?, true),
    };
    if let Some(problem) = password_problem(&password) {
        return Err(format!("password: {}", problem.en));
    }
    let draft = UserDraft {
        display_name: args.display_name.unwrap_or_else(|| args.username.clone()),
        username: args.username,
        unit_id: args.unit_id,
        roles: args.roles,
        clearance: args.clearance,
        disabled: false,
        password_hash: hash_now(&password).map_err(describe)?,
    };
    let user = common::create::<users::Entity, _>(db, &AuditContext::system(), draft)
        .await
        .map_err(describe)?;
    Ok((user.id, generated.then_some(password)))
}

/// Registers a client; returns its id and secret.
pub async fn create_client(db: &DatabaseConnection, args: CreateClientArgs) -> Result<(uuid::Uuid, String), String> {
    let (secret, digest) = new_secret().map_err(describe)?;
    let draft = ClientDraft {
        name: args.name,
        unit_id: args.unit_id,
        scopes: args.scopes,
        cluster_ids: args.cluster_ids,
        clearance: args.clearance,
        disabled: false,
        secret_hash: digest,
    };
    let client = common::create::<clients::Entity, _>(db, &AuditContext::system(), draft)
        .await
        .map_err(describe)?;
    Ok((client.id, secret))
}

/// Verifies the audit chain; an error names the first broken event.
pub async fn verify_audit(db: &DatabaseConnection) -> Result<u64, String> {
    match audit::verify(db).await.map_err(describe)? {
        Verdict::Intact { events } => Ok(events),
        Verdict::Broken { seq, reason } => Err(format!("the audit trail is broken at event {seq}: {reason}")),
    }
}
